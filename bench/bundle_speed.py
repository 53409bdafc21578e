"""Build output as a source: minified-bundle speed, linear scaling, and a real app with and without bundles.

1. **Minified bundle**: one generated file of N MB of minified JavaScript on a single line (objects with
   ``password:!0``, ``apiKey:e.apiKey``, inline base64 images, URLs, long identifiers) with one Stripe
   key planted, in an ignored ``dist/`` folder. Timed in-process (``Engine.run`` over the bundle source,
   rules loaded once: the scan itself) and end to end (the console script), next to
   ``gitleaks dir`` on the same file. The goal: 5 MB in under 1 s, and time per MB flat from 1 to 20 MB
   (no quadratic behaviour on long lines).
2. **Real app**: ``launchready scan APP`` with and without ``--no-bundles`` (medians of wall time, CPU
   seconds and findings by origin), where APP is a real application's working tree (default: the
   corpus clones that are present) into which real minified vendor bundles from npm (``--vendor DIR``:
   any folder of ``*.js``/``*.mjs``/``*.map`` files, e.g. ``node_modules/react-dom``) are copied under an
   ignored ``.next/static/chunks/``. Findings in those bundles are false positives unless a provider
   key really ships there; the generic rules must stay quiet.

    python bench/bundle_speed.py --sizes 1,5,20 --runs 5
    python bench/bundle_speed.py --apps /work/clones/khoj-ai__khoj --vendor /tmp/node_modules/pdfjs-dist
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import REPO, max_rss_mb, median_seconds, ratio, table, timed_run, tool_path
from _cpu import cpu_timed_run

sys.path.insert(0, str(REPO))

LAUNCHREADY = tool_path("launchready") or "launchready"
CLONES = Path("/work/clones")


def _identifier(rng: random.Random) -> str:
    return rng.choice(string.ascii_letters) + "".join(rng.choice(string.ascii_letters + string.digits)
                                                      for _ in range(rng.randint(0, 6)))


def minified(size: int, key: str, seed: int = 5) -> str:
    """``size`` characters of one-line minified JavaScript with ``key`` planted in the middle."""
    rng = random.Random(seed)
    image = "data:image/png;base64," + base64.b64encode(bytes(rng.randrange(256) for _ in range(600))).decode()
    pieces: list[str] = []
    total = 0
    planted = False
    while total < size:
        a, b, c = _identifier(rng), _identifier(rng), _identifier(rng)
        piece = rng.choice((
            f"function {a}({b},{c}){{return {b}.{c}?{b}[{c}]:void 0}}",
            f"var {a}={{password:!0,autocomplete:!1,apiKey:{b}.apiKey,token:{c}.token}};",
            f'{a}.fetch("https://api.example.com/v1/{b}",{{headers:{{"content-type":"application/json"}}}});',
            f'const {a}="{image}";',
            f"let {a}=[{','.join(str(rng.randrange(10**6)) for _ in range(12))}];",
            f'{a}.secret="{b}{c}";',
        ))
        if not planted and total >= size // 2:
            piece += f'var stripeKey="{key}";'
            planted = True
        pieces.append(piece)
        total += len(piece)
    return "".join(pieces)


def stripe_key() -> str:
    rng = random.Random(9)
    return "sk_" + "live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))


def in_process_seconds(root: Path, runs: int) -> tuple[float, int]:
    """Median seconds of ``Engine.run`` over the bundle source (rules compiled once), and findings."""
    from scanner.config import Config
    from scanner.detectors import DETECTORS
    from scanner.engine import Engine
    from scanner.rules import default_registry
    from scanner.sources.bundles import BundleSource

    registry = default_registry()
    times, count = [], 0
    for _ in range(runs):
        engine = Engine(registry, Config(), DETECTORS)
        started = time.perf_counter()
        result = engine.run([BundleSource(root, [root])], str(root), ["bundles"])
        times.append(time.perf_counter() - started)
        count = len(result.findings)
    return statistics.median(times), count


def bench_minified(sizes: list[int], runs: int) -> None:
    rows = []
    key = stripe_key()
    gitleaks = tool_path("gitleaks")
    for megabytes in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / ".gitignore").write_text("dist/\n")
            (root / "dist").mkdir()
            (root / "dist" / "app.min.js").write_text(minified(megabytes * 1024 * 1024, key) + "\n")
            seconds, found = in_process_seconds(root, runs)
            cli = [timed_run([LAUNCHREADY, "scan", str(root), "--format", "json", "--fail-on", "none"])
                   for _ in range(runs)]
            peer = None
            if gitleaks:
                peer = median_seconds([timed_run([gitleaks, "dir", str(root / "dist"), "--no-banner",
                                                  "--exit-code", "0"]) for _ in range(runs)])
            rows.append([megabytes, f"{seconds:.3f}", f"{seconds / megabytes:.3f}", found,
                         f"{median_seconds(cli):.3f}", f"{max_rss_mb(cli):.0f}",
                         f"{peer:.3f}" if peer is not None else "n/a", ratio(median_seconds(cli), peer)])
    print("Minified bundle (one line), median of", runs, "runs")
    print(table(["MB", "engine s", "s/MB", "findings", "CLI s", "CLI MB RSS", "gitleaks s", "CLI/gitleaks"], rows))


def _copy_vendor(vendor: list[Path], chunks: Path) -> int:
    """Copy every script and map of the vendor folders into ``chunks`` (flattened, content-hash-like names)."""
    chunks.mkdir(parents=True, exist_ok=True)
    copied = 0
    for folder in vendor:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".js", ".mjs", ".map") and path.stat().st_size < 10 * 1024 * 1024:
                name = f"{folder.name}-{copied:04d}-{path.name}"
                shutil.copyfile(path, chunks / name)
                copied += 1
    return copied


def bench_app(apps: list[Path], vendor: list[Path], runs: int) -> None:
    rows = []
    for app in apps:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / app.name
            shutil.copytree(app, root, symlinks=True, ignore=shutil.ignore_patterns(".git", "node_modules"))
            copied = _copy_vendor(vendor, root / ".next" / "static" / "chunks") if vendor else 0
            with (root / ".gitignore").open("a") as handle:
                handle.write("\n.next/\n")
            for label, extra in (("with bundles", []), ("--no-bundles", ["--no-bundles"])):
                measured = [cpu_timed_run([LAUNCHREADY, "scan", str(root), "--format", "json", "--fail-on", "none",
                                           "--jobs", "1", *extra]) for _ in range(runs)]
                document = json.loads(measured[-1][0].stdout)
                origins = Counter(f["origin"]["kind"] for f in document["findings"])
                rows.append([app.name, copied, label, f"{median_seconds([m[0] for m in measured]):.2f}",
                             f"{statistics.median(m[1] for m in measured):.2f}",
                             document["scan"].get("artifacts_scanned", "?") if isinstance(document.get("scan"), dict)
                             else "?", dict(sorted(origins.items()))])
    print("\nReal app, full scan (median of", runs, "runs, --jobs 1)")
    print(table(["app", "vendor files", "scan", "wall s", "CPU s", "artifacts", "findings by origin"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,5,20", help="MB of minified JavaScript per run, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--apps", nargs="*", type=Path, help="real app working trees [default: corpus clones]")
    parser.add_argument("--vendor", nargs="*", type=Path, default=[],
                        help="folders of real minified bundles to copy under .next/static/chunks")
    args = parser.parse_args()
    bench_minified([int(s) for s in args.sizes.split(",") if s], args.runs)
    apps = args.apps if args.apps is not None else sorted(p for p in CLONES.glob("*") if p.is_dir())[:3]
    if apps:
        bench_app(apps, args.vendor, max(1, args.runs // 2))


if __name__ == "__main__":
    main()
