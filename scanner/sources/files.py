"""What every source needs to turn bytes into an artifact: kind by name, binary sniffing, decoding."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from scanner.paths import is_build_output

#: Extensions that are never text worth scanning; skipped by name without reading.
BINARY_EXTENSIONS = frozenset("""
    .png .jpg .jpeg .gif .bmp .ico .webp .avif .tiff .psd .heic .mp3 .mp4 .m4a .mov .avi .mkv .webm .wav .flac
    .ogg .zip .gz .tgz .bz2 .xz .zst .7z .rar .jar .war .whl .egg .pdf .doc .docx .xls .xlsx .ppt .pptx .woff
    .woff2 .ttf .otf .eot .so .dylib .dll .exe .o .a .pyc .pyo .class .bin .dat .db .sqlite .sqlite3 .parquet
    .npy .npz .pt .pth .onnx .safetensors .h5 .pkl .pickle .wasm
""".split())

_KIND_BY_EXTENSION = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescript",
    ".ipynb": "notebook",
    ".log": "ci-log",
}

SNIFF_BYTES = 8192


def artifact_kind(path: str) -> str:
    """The artifact kind for a repository-relative POSIX path."""
    name = PurePosixPath(path).name.lower()
    if is_build_output(path):  # the path policy's build output: never read by code checks
        return "bundle"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    return _KIND_BY_EXTENSION.get(PurePosixPath(name).suffix, "text")


def has_binary_extension(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in BINARY_EXTENSIONS


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first few KB mean binary (as git decides)."""
    return b"\x00" in data[:SNIFF_BYTES]


@dataclass(frozen=True)
class Decoded:
    text: str
    #: Empty when the bytes were valid UTF-8; otherwise what was done about it.
    note: str = ""


def decode(data: bytes) -> Decoded:
    """Decode file bytes as UTF-8 (BOM allowed); invalid sequences become U+FFFD and are noted.

    Nothing is dropped: a Latin-1 config file still gets its ASCII secrets scanned.
    """
    try:
        return Decoded(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return Decoded(
            data.decode("utf-8", errors="replace"),
            f"invalid UTF-8 at byte {exc.start}; undecodable bytes replaced",
        )
