"""Coverage-guided fuzzing of one target with atheris (libFuzzer), the scanner's modules instrumented.

    .venv/bin/python fuzz/run.py TARGET [libFuzzer options] [corpus folders]

Targets are in ``fuzz/targets.py``; ``fuzz/run_all.py`` (``make fuzz``) runs each for a bounded time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports(include=["scanner", "fuzz"]):
    from fuzz.targets import TARGETS


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: run.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
