"""Worst case of every secret rule's matching stage on adversarial lines (CPU ms per MB), slowest first.

    .venv/bin/python bench/regex_worst_case.py [--size CHARS] [--top N]

The lines and the timing are those of tests/test_regex_worst_case.py (a keyword repeated, with separators,
followed by long runs of each of the regex's characters); here every line is timed and the slowest per rule
is printed, with how many rules stay under the 100 ms per MB target on every line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.rules import default_registry
from tests.test_regex_worst_case import LIMIT, SIZE, adversarial_lines, match_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    rows = []
    for rule in default_registry().of_kind("secret"):
        worst = max((min(match_seconds(rule, line), match_seconds(rule, line)) * 2**20 / args.size, name)
                    for name, line in adversarial_lines(rule, args.size))
        rows.append((worst[0] * 1000, rule.id, worst[1]))
    rows.sort(reverse=True)
    for ms, rule_id, line in rows[:args.top]:
        print(f"{ms:8.0f} ms/MB  {rule_id:40}  {line}")
    under = sum(1 for ms, _, _ in rows if ms <= LIMIT * 1000)
    print(f"{under}/{len(rows)} rules under {LIMIT * 1000:.0f} ms/MB on every line; "
          f"median worst case {rows[len(rows) // 2][0]:.0f} ms/MB")


if __name__ == "__main__":
    main()
