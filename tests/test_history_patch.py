"""The ``-U0`` patch reader on patches that trip naive parsers (quoting, look-alike content, limits)."""

from __future__ import annotations

from scanner.sources.git import FilePatch, parse_patch, unquote_path

COMMIT = b"\x01commit "


def patches(text: bytes, max_size: int = 1_000_000) -> list[bytes | FilePatch]:
    return list(parse_patch(text.split(b"\n"), max_size, header=COMMIT))


def test_added_lines_that_look_like_headers_are_content():
    items = patches(
        b"\x01commit abc\x01Ada\x012024-01-01T00:00:00+00:00\n\n"
        b"diff --git a/notes.md b/notes.md\n--- a/notes.md\n+++ b/notes.md\n"
        b"@@ -3,0 +4,3 @@\n"
        b"+++ b/not-a-header\n"
        b"+diff --git a/x b/x\n"
        b"+\x01commit fake\n"
        b"@@ -10 +12,0 @@\n-removed\n"
        b"\\ No newline at end of file\n"
    )
    assert items[0].startswith(COMMIT)
    [patch] = items[1:]
    assert patch.path == b"notes.md"
    assert patch.lines == [b"++ b/not-a-header", b"diff --git a/x b/x", b"\x01commit fake"]
    assert patch.line_numbers == [4, 5, 6]


def test_quoted_and_spaced_paths():
    items = patches(
        b'diff --git "a/caf\\303\\251 \\"x\\".py" "b/caf\\303\\251 \\"x\\".py"\n'
        b"new file mode 100644\n--- /dev/null\n"
        b'+++ "b/caf\\303\\251 \\"x\\".py"\n@@ -0,0 +1 @@\n+k = 1\n'
        b"diff --git a/with space.txt b/with space.txt\n--- a/with space.txt\t\n+++ b/with space.txt\t\n"
        b"@@ -1 +1 @@\n-a\n+b\n"
    )
    assert [p.path for p in items] == ['café "x".py'.encode(), b"with space.txt"]


def test_binary_rename_and_deletion():
    items = patches(
        b"diff --git a/img.dat b/img.dat\nnew file mode 100644\nindex 0000000..1111111\n"
        b"Binary files /dev/null and b/img.dat differ\n"
        b"diff --git a/old.py b/new.py\nsimilarity index 100%\nrename from old.py\nrename to new.py\n"
        b"diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n"
        b"@@ -1 +0,0 @@\n-x\n"
    )
    binary, renamed, deleted = items
    assert binary.path == b"img.dat" and binary.binary
    assert (renamed.renamed_from, renamed.path, renamed.lines) == (b"old.py", b"new.py", [])
    assert deleted.path == b"gone.py" and deleted.lines == []


def test_size_limit_drops_the_file_lines():
    body = b"".join(b"+" + b"x" * 50 + b"\n" for _ in range(10))
    [patch] = patches(b"diff --git a/big.log b/big.log\n--- a/big.log\n+++ b/big.log\n@@ -0,0 +1,10 @@\n" + body,
                      max_size=200)
    assert patch.too_large and patch.lines == []


def test_unquote_leaves_plain_paths_alone():
    assert unquote_path(b"plain/path.py") == b"plain/path.py"
    assert unquote_path(b'"tab\\there"') == b"tab\there"
