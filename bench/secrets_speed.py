"""Wall time, peak memory and planted-secret recall of launchready, gitleaks and detect-secrets on a big tree.

    .venv/bin/python bench/secrets_speed.py                  # generate ~200 MB of mixed source, 3 runs each
    .venv/bin/python bench/secrets_speed.py --size 20        # a quick 20 MB run
    .venv/bin/python bench/secrets_speed.py --path ~/src/x   # any checkout (no planted secrets: no recall)
    .venv/bin/python bench/secrets_speed.py --prefilter      # also time Aho-Corasick vs Hyperscan keyword passes

The generated tree mixes Python, TypeScript, JSON, YAML, Markdown and .env files full of the things that
make secret scanners slow or noisy (keyword-like identifiers, URLs, hashes, UUIDs, base64 blobs), with a
known set of secrets planted at known lines (built at run time from a fixed seed). Prints the median
wall time of N runs, the peak RSS of each tool's process, its findings, planted-secret recall, and
the ratios launchready/gitleaks and launchready/detect-secrets (below 1.00x means launchready is faster).
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Run, max_rss_mb, median_seconds, percent, ratio, repeat, table, timed_run, tool_path

ALNUM = string.ascii_letters + string.digits
WORDS = ("user", "account", "token", "session", "invoice", "tenant", "order", "payment", "api", "client",
         "secret", "key", "config", "handler", "request", "response", "cache", "model", "message", "event")


def _word(rng: random.Random) -> str:
    return rng.choice(WORDS) + "_" + rng.choice(WORDS)


def _rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


#: Line makers per language: each takes the generator and returns one line of plausible source.
PYTHON_LINES = (
    lambda r: f"def {_word(r)}({_word(r)}, {_word(r)}=None):",
    lambda r: f"    {_word(r)} = request.headers.get('X-{r.choice(WORDS).title()}-Token')",
    lambda r: f"    cache_key = '{_rand(r, 40, '0123456789abcdef')}'  # sha1 of the {r.choice(WORDS)}",
    lambda r: f"    url = 'https://api.example.com/v1/{r.choice(WORDS)}s/{r.randrange(10**6)}'",
    lambda r: f"    {_word(r)}_id = '{_uuid(r)}'",
    lambda r: f"    token = os.environ['{r.choice(WORDS).upper()}_TOKEN']",
    lambda r: f"    return {{'{r.choice(WORDS)}': {_word(r)}, 'count': {r.randrange(1000)}}}",
    lambda r: f"    logger.info('processing %s for %s', {_word(r)}, {_word(r)})",
)
TS_LINES = (
    lambda r: f"export async function {_word(r)}(req: Request): Promise<Response> {{",
    lambda r: f"  const {r.choice(WORDS)}Key = process.env.{r.choice(WORDS).upper()}_KEY ?? '';",
    lambda r: f"  const img = 'data:image/png;base64,{_rand(r, 120, ALNUM + '+/')}';",
    lambda r: f"  await fetch(`${{BASE_URL}}/{r.choice(WORDS)}/${{id}}`, {{ headers: {{ Authorization: token }} }});",
    lambda r: f"  const {_word(r)} = {{ id: '{_uuid(r)}', version: '{r.randrange(9)}.{r.randrange(20)}.0' }};",
    lambda r: "  }",
)


def _python_line(rng: random.Random) -> str:
    return rng.choice(PYTHON_LINES)(rng)


def _ts_line(rng: random.Random) -> str:
    return rng.choice(TS_LINES)(rng)


def _json_line(rng: random.Random) -> str:
    return (f'  "{_word(rng)}": {{"integrity": "sha512-{_rand(rng, 86, ALNUM + "+/")}==", '
            f'"resolved": "https://registry.example.org/{rng.choice(WORDS)}/-/{rng.choice(WORDS)}-1.2.3.tgz"}},')


def _yaml_line(rng: random.Random) -> str:
    return rng.choice((f"  {_word(rng)}: {rng.randrange(10**5)}",
                       f"  {rng.choice(WORDS)}_token: ${{{_word(rng).upper()}}}",
                       f"  image: registry.example.org/{rng.choice(WORDS)}:{_rand(rng, 12, '0123456789abcdef')}"))


def _md_line(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 16))) + "."


def _uuid(rng: random.Random) -> str:
    h = _rand(rng, 32, "0123456789abcdef")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


KINDS = (("py", _python_line), ("ts", _ts_line), ("json", _json_line), ("yaml", _yaml_line), ("md", _md_line))


def planted_secret(rng: random.Random, index: int) -> str:
    """A realistic key-shaped line, assembled from pieces at run time."""
    shapes = (
        lambda: f'STRIPE_SECRET_KEY = "{"sk_" + "live_" + _rand(rng, 32)}"',
        lambda: f'ANTHROPIC_API_KEY="{"sk-ant-" + "api03-" + _rand(rng, 93, ALNUM + "-_") + "AA"}"',
        lambda: f'aws_access_key_id = {"AKIA" + _rand(rng, 16, string.ascii_uppercase + "234567")}',
        lambda: f'OPENAI_API_KEY={"sk-" + "proj-" + _rand(rng, 60, ALNUM + "_-") + "T3Blbk" + "FJ" + _rand(rng, 60)}',
        lambda: f'GITHUB_TOKEN = "{"ghp_" + _rand(rng, 36)}"',
        lambda: f'DATABASE_URL = "postgres://app:{_rand(rng, 20)}@db.internal.example.net:5432/app"',
    )
    return shapes[index % len(shapes)]()


def generate_tree(root: Path, size_mb: float, secrets: int, seed: int = 1) -> list[tuple[str, int]]:
    """Write about ``size_mb`` MB of files under ``root``; return the (path, line) of each planted secret."""
    rng = random.Random(seed)
    target = int(size_mb * 1_000_000)
    written, index, files = 0, 0, []
    while written < target:
        ext, line_maker = KINDS[index % len(KINDS)]
        lines = [line_maker(rng) for _ in range(rng.randrange(200, 2500))]
        rel = f"pkg{index % 97:02d}/mod{index // 97:03d}/{_word(rng)}_{index}.{ext}"
        files.append((rel, lines))
        written += sum(len(line) + 1 for line in lines)
        index += 1
    planted = []
    step = max(1, len(files) // secrets)
    for n, file_index in enumerate(range(0, len(files), step)):
        if n >= secrets:
            break
        rel, lines = files[file_index]
        at = rng.randrange(len(lines))
        lines.insert(at, planted_secret(rng, n))
        planted.append((rel, at + 1))
    for rel, lines in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return planted


def launchready(path: Path, out: Path, secrets_only: bool = False) -> tuple[list[str], Path]:
    cmd = [tool_path("launchready") or "launchready", "scan", str(path), "--fail-on", "none", "--no-gitignore",
           "--json", str(out), "--quiet"]
    if secrets_only:  # the same job as the peers: disable the code checks (routes, tenant filters...)
        config = out.with_name("secrets-only.toml")
        from scanner.rules import default_registry

        others = [r.id for r in default_registry() if r.kind != "secret"]
        config.write_text("disable = [" + ", ".join(f'"{i}"' for i in others) + "]\n", encoding="utf-8")
        cmd += ["--config", str(config)]
    return cmd, out


def parse_launchready(out: Path, root: Path) -> set[tuple[str, int]]:
    report = json.loads(out.read_text(encoding="utf-8"))
    return {(f["location"]["path"], f["location"]["line"]) for f in report["findings"]}


def gitleaks(path: Path, out: Path) -> tuple[list[str], Path]:
    cmd = [tool_path("gitleaks") or "gitleaks", "dir", str(path), "--report-format", "json", "--report-path",
           str(out), "--exit-code", "0", "--no-banner", "--log-level", "error"]
    return cmd, out


def parse_gitleaks(out: Path, root: Path) -> set[tuple[str, int]]:
    items = json.loads(out.read_text(encoding="utf-8") or "[]")
    return {(Path(i["File"]).resolve().relative_to(root.resolve()).as_posix(), i["StartLine"]) for i in items}


def detect_secrets(path: Path, out: Path) -> tuple[list[str], Path]:
    return [tool_path("detect-secrets") or "detect-secrets", "scan", "--all-files", "."], out


def parse_detect_secrets(stdout: str) -> set[tuple[str, int]]:
    results = json.loads(stdout)["results"]
    return {(p, s["line_number"]) for p, items in results.items() for s in items}


def measure(tool: str, path: Path, work: Path, runs: int, secrets_only: bool = False
            ) -> tuple[list[Run], set[tuple[str, int]]]:
    out = work / f"{tool}.json"
    if tool == "launchready":
        cmd, _ = launchready(path, out, secrets_only)
        results = repeat(lambda: timed_run(cmd), runs)
        found = parse_launchready(out, path)
    elif tool == "gitleaks":
        cmd, _ = gitleaks(path, out)
        results = repeat(lambda: timed_run(cmd), runs)
        found = parse_gitleaks(out, path)
    else:
        cmd, _ = detect_secrets(path, out)
        results = repeat(lambda: timed_run(cmd, cwd=path), runs)
        found = parse_detect_secrets(results[-1].stdout)
    failed = [r for r in results if r.returncode != 0]
    if failed:
        raise RuntimeError(f"{tool} failed: {failed[0].stderr.strip()[-400:]}")
    return results, found


def prefilter_comparison(path: Path) -> None:
    """Time one keyword pass over every file: pyahocorasick automaton vs one Hyperscan database."""
    import ahocorasick
    import hyperscan

    from scanner.rules import default_registry

    keywords = sorted({k.lower() for r in default_registry().of_kind("secret") for k in r.options["keywords"]})
    texts = [p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()]
    total_mb = sum(len(t) for t in texts) / 1e6
    automaton = ahocorasick.Automaton()
    for k in keywords:
        automaton.add_word(k, k)
    automaton.make_automaton()
    db = hyperscan.Database()
    db.compile(expressions=[k.encode() for k in keywords], ids=list(range(len(keywords))),
               elements=len(keywords), flags=[hyperscan.HS_FLAG_CASELESS] * len(keywords))
    rows = []
    for name, scan in (
        ("pyahocorasick (lower + iter)",
         lambda t: sum(1 for _ in automaton.iter(t.decode("utf-8", "replace").lower()))),
        ("hyperscan (bytes, caseless)", lambda t: _hs_count(db, t)),
    ):
        started = time.perf_counter()
        hits = sum(scan(t) for t in texts)
        seconds = time.perf_counter() - started
        rows.append([name, len(keywords), hits, f"{seconds:.2f}", f"{total_mb / seconds:.0f}"])
    print(table(["keyword pass", "keywords", "hits", "seconds", "MB/s"], rows))


def _hs_count(db, data: bytes) -> int:
    count = 0

    def on_match(*_args) -> None:
        nonlocal count
        count += 1

    db.scan(data, match_event_handler=on_match)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=float, default=200, help="MB of generated source (default 200)")
    parser.add_argument("--secrets", type=int, default=60, help="secrets to plant (default 60)")
    parser.add_argument("--path", type=Path, help="scan this tree instead of generating one")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; the median is reported (default 3)")
    parser.add_argument("--tools", default="launchready,gitleaks,detect-secrets")
    parser.add_argument("--prefilter", action="store_true", help="also compare Aho-Corasick and Hyperscan")
    parser.add_argument("--secrets-only", action="store_true",
                        help="launchready with its code checks disabled (the peers only look for secrets)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lr-speed-") as tmp:
        work = Path(tmp)
        planted: list[tuple[str, int]] = []
        if args.path:
            tree = args.path.resolve()
        else:
            tree = work / "tree"
            started = time.perf_counter()
            planted = generate_tree(tree, args.size, args.secrets)
            print(f"generated {args.size:g} MB in {time.perf_counter() - started:.1f}s with {len(planted)} "
                  "planted secrets")
        size_mb = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file()) / 1e6
        rows, medians = [], {}
        for tool in args.tools.split(","):
            results, found = measure(tool, tree, work, args.runs, args.secrets_only)
            medians[tool] = median_seconds(results)
            recall = percent(len(set(planted) & found), len(planted)) if planted else "n/a"
            rows.append([tool, f"{medians[tool]:.2f}", f"{size_mb / medians[tool]:.1f}", f"{max_rss_mb(results):.0f}",
                         len(found), recall])
        print(f"\n{size_mb:.0f} MB, median of {args.runs} run(s)\n")
        print(table(["tool", "median s", "MB/s", "peak RSS MB", "findings", "planted recall"], rows))
        lr = medians.get("launchready")
        print(f"\nlaunchready/gitleaks: {ratio(lr, medians.get('gitleaks'))}   "
              f"launchready/detect-secrets: {ratio(lr, medians.get('detect-secrets'))}")
        if args.prefilter:
            print()
            prefilter_comparison(tree)
    return 0


if __name__ == "__main__":
    sys.exit(main())
