"""One path policy: what a file is for, judged by its path (and, for minified code, its line lengths).

Every "is this test code / an example / build output / development-only" question is answered here, so
the secrets engine, the suppression rules and the code checks agree on what a path is.

- test code: under ``tests/``, ``__tests__/``..., ``test_*.py``, ``*_test.py``, ``conftest.py``,
  ``*.test.ts``, ``*.spec.js``;
- examples, fixtures, docs and mocks (with test code: *non-production* paths, where a secret is still
  reported but at low confidence);
- development-only settings and code (``settings/dev.py``, ``local_settings.py``, ``ci/...``);
- documentation files (``README.md``, ``*.rst``...: non-production too, wherever they live);
- build output (``dist/``, ``.next/``, ``*.min.js``, chunks, content-hashed bundles, source maps,
  scripts served from ``public/`` or ``assets/``) and minified text;
- vendored code (``node_modules/``, ``vendor/``, ``third_party/``): with build output, *generated code*,
  where generic secret heuristics do not fire (react-dom's ``password:!0`` is not a password);
- CI logs (``*.log``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import PurePosixPath

#: Folders that hold tests.
TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "testdata", "e2e", "cypress"})
#: Folders that hold examples, fixtures, docs and mocks rather than the product.
NON_PRODUCTION_DIRS = TEST_DIRS | frozenset({"fixtures", "examples", "example", "docs", "documentation", "samples",
                                             "mocks", "__mocks__"})
#: File-name endings of documentation: prose and examples for people, wherever the file lives.
DOC_SUFFIXES = (".md", ".mdx", ".markdown", ".rst", ".adoc", ".asciidoc")
#: Settings or code meant for development or tests only: ``settings/dev.py``, ``settings_local.py``, ``tests/...``.
DEVELOPMENT = re.compile(r"(?:^|[_.\-])(?:dev|develop|development|local|test|tests|testing|ci)(?:[_.\-]|$)",
                         re.IGNORECASE)
#: Folders that hold generated build output: bundlers' and frameworks' dist folders, Python's build/.
BUILD_DIRS = frozenset({"dist", "build", "out", ".next", ".nuxt", ".output", ".svelte-kit", ".vercel", ".parcel-cache"})
#: File-name endings of generated files: minified code, bundles, chunks and source maps.
BUILD_SUFFIXES = (".min.js", ".min.mjs", ".min.cjs", ".min.css", ".bundle.js", ".bundle.mjs", ".chunk.js",
                  ".chunk.mjs", ".chunk.css", ".map", ".tsbuildinfo")
_CHUNK_NAME = re.compile(r"^chunk-[\w-]+\.(?:m|c)?js$")
#: A bundler's content-hashed output name: ``main.09a17aff.js``, ``4f74abd9.316f9fdb.js``, ``app-3f2a9c1b.mjs``.
_HASHED_NAME = re.compile(r"[.-](?=[a-f]*\d)[0-9a-f]{8,20}\.(?:m|c)?js$")
#: Folders whose scripts, styles and source maps are served to browsers as they are (``public/``, ``static/``,
#: Vite's ``assets/``): such a file is build output even outside a build folder.
SERVED_DIRS = frozenset({"public", "static", "assets", "www", "wwwroot"})
SERVED_SUFFIXES = (".js", ".mjs", ".cjs", ".css", ".map")
#: Caches of build tools, never shipped: anywhere (Parcel's, Turborepo's), or inside build output (``.next/cache``).
BUILD_CACHE_DIRS = frozenset({".parcel-cache", ".turbo"})
_CACHE_NAMES = frozenset({"cache", ".cache"})
#: Folders of third-party code copied into a project.
VENDOR_DIRS = frozenset({"node_modules", "bower_components", "jspm_packages", "vendor", "vendors", "third_party",
                         "third-party", "thirdparty", "site-packages", "external"})
_TEST_NAME = re.compile(r"^test_|_test\.py$|^conftest\.py$|\.(?:test|spec)\.[cm]?[jt]sx?$", re.IGNORECASE)
#: A line at least this long is minified or generated, not written by hand.
MINIFIED_LINE = 3000


def _posix(path: str) -> PurePosixPath:
    return PurePosixPath(path.replace("\\", "/"))


def _folders(posix: PurePosixPath) -> set[str]:
    return {part.lower() for part in posix.parts[:-1]}


def is_test_file(path: str) -> bool:
    """Test code: under a test folder, ``test_*.py``, ``*_test.py``, ``conftest.py``, ``*.test.ts``, ``*.spec.js``."""
    posix = _posix(path)
    return bool(_folders(posix) & TEST_DIRS) or bool(_TEST_NAME.search(posix.name))


def is_non_production(path: str) -> bool:
    """Test code, examples, fixtures, docs (folders and documentation files) or mocks: what a finding there
    says is weaker (low confidence)."""
    posix = _posix(path)
    name = posix.name.lower()
    return bool(_folders(posix) & NON_PRODUCTION_DIRS) or bool(_TEST_NAME.search(name)) or name.endswith(DOC_SUFFIXES)


def is_development_file(path: str) -> bool:
    """Settings or code that only runs in development or tests (``settings/dev.py``, ``local_settings.py``)."""
    posix = _posix(path)
    parts = [*posix.parts[:-1], posix.stem]
    return any(DEVELOPMENT.search(part) for part in parts) or is_test_file(path)


def is_build_output(path: str) -> bool:
    """Generated build output (``dist/``, ``.next/``, ``*.min.js``, chunks, source maps).

    Build output is scanned like any file (a secret bundled into it is shipped), but it is not where a
    person writes code, so what it says about itself (suppression comments) is not trusted.
    """
    posix = _posix(path)
    name = posix.name.lower()
    folders = _folders(posix)
    return bool(folders & BUILD_DIRS) or name.endswith(BUILD_SUFFIXES) or bool(_CHUNK_NAME.match(name)) \
        or bool(_HASHED_NAME.search(name)) or bool(folders & SERVED_DIRS and name.endswith(SERVED_SUFFIXES))


#: Build-output folders that hold server code, never sent to browsers (``.next/server``, Nuxt's ``.output/server``).
SERVER_OUTPUT_DIRS = frozenset({"server", "ssr", "functions"})


def is_served_build_output(path: str) -> bool:
    """Build output a web server hands to browsers: in a build or served folder, not in a server bundle
    (``.next/server/``) or a cache."""
    folders = _folders(_posix(path))
    return bool(folders & (BUILD_DIRS | SERVED_DIRS)) and is_build_output(path) \
        and not folders & (SERVER_OUTPUT_DIRS | _CACHE_NAMES | BUILD_CACHE_DIRS)


def is_build_cache(path: str) -> bool:
    """A cache folder inside build output (``.next/cache``): generated, but never shipped, so not scanned."""
    name = _posix(path).name.lower()
    return name in BUILD_CACHE_DIRS or (name in _CACHE_NAMES and is_build_output(path))


def is_vendored(path: str) -> bool:
    """Third-party code copied into the project (``node_modules/``, ``vendor/``, ``third_party/``)."""
    return bool(_folders(_posix(path)) & VENDOR_DIRS)


@lru_cache(maxsize=4096)
def is_generated_code(path: str) -> bool:
    """Build output or vendored code: nobody in the project wrote it, so generic secret heuristics (a
    ``password`` key, a high-entropy assignment) say nothing there; only provider key formats do."""
    return is_build_output(path) or is_vendored(path)


def is_ci_log(path: str) -> bool:
    """A log file (``*.log``): scanned as a CI log, wherever ``.gitignore`` leaves it."""
    return _posix(path).name.lower().endswith(".log")


def looks_minified(text: str | Iterable[str]) -> bool:
    """Whether a file's text (or its lines, or one line) holds a line of at least ``MINIFIED_LINE`` characters."""
    lines = text.split("\n") if isinstance(text, str) else text
    return max(map(len, lines), default=0) >= MINIFIED_LINE
