"""What detectors examined, and the positive evidence they saw, for the scorecard's checks.

Detectors never write this into shared state: each artifact's :class:`~scanner.detectors.base.Context`
collects its own (``ctx.evidence(check, text)``, ``ctx.examined(check, what)``), the engine merges it
when the artifact is done (after its index and detect passes), and worker processes send theirs back
with their findings. A :class:`Coverage` is plain picklable data, and what the scan result holds
(:meth:`Coverage.evidence_by_check`, :meth:`Coverage.examined_by_check`) is sorted, so the scorecard
is the same whatever the number of processes and the order their batches finish in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.model import CHECKS


@dataclass(frozen=True)
class Examined:
    """``count`` items of one kind (``what``, e.g. "Flask route", "file") examined in ``files`` files."""

    what: str
    count: int
    files: int

    def describe(self) -> str:
        """``14 Flask routes in 3 files``; ``212 files``; ``2 Django settings files``."""
        noun = _plural(self.what, self.count)
        if self.what.endswith("file"):
            return f"{self.count} {noun}"
        return f"{self.count} {noun} in {self.files} file{'s' if self.files != 1 else ''}"


def _plural(noun: str, count: int) -> str:
    if count == 1:
        return noun
    head, _, last = noun.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else (
        last + "es" if last.endswith(("s", "sh", "ch", "x")) else last + "s")
    return f"{head} {last}" if head else last


def _known(check: str) -> str:
    if check not in CHECKS:
        raise ValueError(f"unknown scorecard check {check!r}; expected one of {', '.join(CHECKS)}")
    return check


@dataclass
class Coverage:
    """Evidence and examined items of one artifact, one worker batch or a whole scan."""

    #: (check, path, text): a statement that the check is met, seen in the artifact at ``path``.
    evidence: set[tuple[str, str, str]] = field(default_factory=set)
    #: (check, what) -> [items examined, paths they were in].
    examined: dict[tuple[str, str], list] = field(default_factory=dict)

    def add_evidence(self, check: str, path: str, text: str) -> None:
        self.evidence.add((_known(check), path, text))

    def add_examined(self, check: str, what: str, path: str, count: int = 1) -> None:
        if count <= 0:
            return
        entry = self.examined.setdefault((_known(check), what), [0, set()])
        entry[0] += count
        entry[1].add(path)

    def merge(self, other: Coverage) -> None:
        self.evidence |= other.evidence
        for key, (count, paths) in other.examined.items():
            entry = self.examined.setdefault(key, [0, set()])
            entry[0] += count
            entry[1] |= paths

    def evidence_by_check(self) -> dict[str, tuple[str, ...]]:
        """Each check's evidence texts, ordered by the artifact they were seen in, then text; repeats dropped."""
        result: dict[str, list[str]] = {}
        for check, _path, text in sorted(self.evidence):
            items = result.setdefault(check, [])
            if text not in items:
                items.append(text)
        return {check: tuple(items) for check, items in result.items()}

    def examined_by_check(self) -> dict[str, tuple[Examined, ...]]:
        """Each check's examined items, by kind in alphabetical order."""
        result: dict[str, list[Examined]] = {}
        for (check, what), (count, paths) in sorted(self.examined.items()):
            result.setdefault(check, []).append(Examined(what, count, len(paths)))
        return {check: tuple(items) for check, items in result.items()}
