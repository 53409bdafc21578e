"""Render time and size of each report format for a scan with many findings (median of 3 runs).

    .venv/bin/python bench/reports.py [FINDINGS]

Builds an in-memory project with FINDINGS leaked keys (default 5,000) in 500 files, scans it once with
the real engine, then times every registered reporter. Also prints the SARIF's gzipped size against
GitHub's 10 MB limit.
"""

from __future__ import annotations

import gzip
import random
import statistics
import string
import sys
import time

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.reporters import REPORTERS, get_reporter
from scanner.rules import default_registry
from scanner.testing import MemorySource


def project(findings: int, files: int = 500) -> dict[str, str]:
    rng = random.Random(1)
    alnum = string.ascii_letters + string.digits
    per_file = max(1, findings // files)
    out = {}
    for i in range(files):
        lines = [f"# module {i}", "import os", ""]
        for j in range(per_file):
            key = "sk_" + "live_" + "".join(rng.choice(alnum) for _ in range(24))
            lines += [f"def handler_{j}():", f'    return "{key}"', ""]
        out[f"app/module_{i:04}.py"] = "\n".join(lines)
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    clock = time.perf_counter()
    result = Engine(default_registry(), Config(), DETECTORS).run(
        [MemorySource(project(count))], root="/tmp/bench-project", source_names=["working tree"])
    print(f"scan: {len(result.findings)} findings in {time.perf_counter() - clock:.2f}s")
    for name in REPORTERS:
        reporter = get_reporter(name)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            text = reporter.render(result)
            times.append(time.perf_counter() - start)
        size = len(text.encode())
        extra = f", gzipped {len(gzip.compress(text.encode())) / 1e6:.2f} MB" if name == "sarif" else ""
        print(f"{name:>6}: median {statistics.median(times):.3f}s, {size / 1e6:.2f} MB{extra}")


if __name__ == "__main__":
    main()
