"""Do detect-secrets' heuristic filters or entropy limits improve launchready's precision? Measured, not assumed.

    .venv/bin/python bench/secrets_ds_filters.py [--cases FILE]

Runs launchready's engine in-process over the labelled samples (as bench/secrets_accuracy.py does), once
with launchready's own filters and once per detect-secrets filter added on top, applied to generic rules
and to all rules; prints recall on tp and FP rate on fp for each. A filter is worth using only if it
lowers the FP rate without costing recall.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import percent, table
from secrets_accuracy import DEFAULT_CASES, load_cases

from scanner import filters
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.rules import default_registry
from scanner.testing import MemorySource

Predicate = Callable[[filters.Candidate], bool]


def detect_secrets_predicates() -> dict[str, Predicate]:
    """detect-secrets' own heuristics and its default entropy limits, as launchready filter predicates."""
    import detect_secrets.filters.heuristic as heuristic
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    b64, hexa = Base64HighEntropyString(), HexHighEntropyString()

    def below_entropy_limit(c: filters.Candidate) -> bool:
        if all(ch in "0123456789abcdefABCDEF" for ch in c.secret):
            return hexa.calculate_shannon_entropy(c.secret) < hexa.entropy_limit
        return b64.calculate_shannon_entropy(c.secret) < b64.entropy_limit

    return {
        "is_likely_id_string": lambda c: heuristic.is_likely_id_string(c.secret, c.secret),
        "is_sequential_string": lambda c: heuristic.is_sequential_string(c.secret),
        "is_potential_uuid": lambda c: heuristic.is_potential_uuid(c.secret),
        "is_templated_secret": lambda c: heuristic.is_templated_secret(c.secret),
        "is_prefixed_with_dollar_sign": lambda c: heuristic.is_prefixed_with_dollar_sign(c.secret),
        "is_not_alphanumeric_string": lambda c: heuristic.is_not_alphanumeric_string(c.secret),
        "entropy limits (base64 4.5, hex 3.0)": below_entropy_limit,
    }


def score(cases: list[dict], extra: tuple[tuple[str, Predicate], ...]) -> tuple[int, int]:
    """(tp found, fp flagged) with ``extra`` filters appended to launchready's."""
    saved = filters.SECRET_FILTERS
    filters.SECRET_FILTERS = saved + extra
    try:
        files = {f"c{i:05d}/{Path(c.get('path') or 'sample.txt').name}": c["text"] for i, c in enumerate(cases)}
        result = Engine(default_registry(), Config(), DETECTORS, jobs=1).run([MemorySource(files)], "/", ["bench"])
    finally:
        filters.SECRET_FILTERS = saved
    found = Counter(cases[int(f.location.path[1:6])]["label"] for f in {f.location.path: f for f in result.active}
                    .values())
    return found["tp"], found["fp"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    args = parser.parse_args(argv)
    cases = load_cases(args.cases)
    labels = Counter(c["label"] for c in cases)
    tp, fp = score(cases, ())
    rows = [["launchready filters only", "-", percent(tp, labels["tp"]), percent(fp, labels["fp"])]]
    for name, predicate in detect_secrets_predicates().items():
        for scope, wrapped in (("generic rules", lambda c, p=predicate: c.generic and p(c)), ("all rules", predicate)):
            tp, fp = score(cases, ((f"ds:{name}", wrapped),))
            rows.append([f"+ detect-secrets {name}", scope, percent(tp, labels["tp"]), percent(fp, labels["fp"])])
    print(f"{len(cases)} samples: {labels['tp']} tp, {labels['fp']} fp\n")
    print(table(["filters", "applied to", "recall", "fp rate"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
