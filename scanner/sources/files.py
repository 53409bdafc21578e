"""What every source needs to turn bytes into an artifact: kind by name, binary sniffing, decoding."""

from __future__ import annotations

import os
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


def display_path(raw: bytes) -> tuple[str, bool]:
    """A path's bytes as text safe for every report, and whether it was valid UTF-8.

    Bytes that are not UTF-8 are written as ``\\xNN`` escapes (a name ``ff fe .py`` becomes ``\\xff\\xfe.py``):
    readable, never a lone surrogate that JSON, SARIF or HTML output cannot encode.
    """
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False


def os_display_path(name: str) -> tuple[str, bool]:
    """:func:`display_path` for a name from the OS (``os.scandir``: undecodable bytes as surrogates)."""
    return display_path(os.fsencode(name))


def has_binary_extension(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in BINARY_EXTENSIONS


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first few KB mean binary (as git decides), unless the text is UTF-16."""
    return b"\x00" in data[:SNIFF_BYTES] and utf16_encoding(data) is None


#: The first line of a Git LFS pointer file; the content it stands for lives in LFS storage, not in git.
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
LFS_DETAIL = "Git LFS pointer: the file's content lives in LFS storage and was not scanned"


def is_lfs_pointer(data: bytes) -> bool:
    """Whether ``data`` (a file's first bytes) is a Git LFS pointer rather than the file itself."""
    return data.startswith(LFS_POINTER)


def utf16_encoding(data: bytes) -> str | None:
    """``"utf-16"`` for text with a UTF-16 byte order mark, ``"utf-16-le"``/``"utf-16-be"`` for BOM-less UTF-16
    recognised by content (mostly ASCII: every other byte NUL, the others never), else None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and not data.startswith(b"\xff\xfe\x00\x00"):  # not UTF-32
        return "utf-16"
    sample = data[:SNIFF_BYTES - SNIFF_BYTES % 2]
    if len(sample) < 4 or len(data) % 2 or b"\x00" not in sample:  # no NUL: not UTF-16 (every text of history)
        return None
    even, odd = sample[0::2], sample[1::2]
    for text, zeros, order in ((even, odd, "utf-16-le"), (odd, even, "utf-16-be")):
        if b"\x00" not in text and zeros.count(0) >= 0.9 * len(zeros):
            return order
    return None


@dataclass(frozen=True)
class Decoded:
    text: str
    #: Empty when the bytes were valid UTF-8; otherwise what was done about it.
    note: str = ""


def decode(data: bytes) -> Decoded:
    """Decode file bytes as UTF-8 (BOM allowed) or UTF-16 (:func:`utf16_encoding`); invalid sequences
    become U+FFFD and are noted.

    Nothing is dropped: a Latin-1 config file still gets its ASCII secrets scanned, and a ``.env`` saved
    as UTF-16 by a Windows editor is read as text, not skipped as binary.
    """
    encoding = utf16_encoding(data)
    if encoding:
        try:
            return Decoded(data.decode(encoding).removeprefix("\ufeff"))
        except UnicodeDecodeError as exc:
            return Decoded(data.decode(encoding, errors="replace").removeprefix("\ufeff"),
                           f"invalid {encoding.upper()} at byte {exc.start}; undecodable bytes replaced")
    try:
        return Decoded(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return Decoded(
            data.decode("utf-8", errors="replace"),
            f"invalid UTF-8 at byte {exc.start}; undecodable bytes replaced",
        )
