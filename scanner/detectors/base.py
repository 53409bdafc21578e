"""The detector interface: detectors say what is wrong and where; the engine adds everything else."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar

from scanner.config import Config
from scanner.context import Context, Hit, ProjectFacts
from scanner.model import Artifact, Rule

#: Where code is written: code checks read these origins only, never build output or CI logs.
CODE_ORIGINS = frozenset({"worktree", "history", "staged"})


class Detector(ABC):
    """Finds problems for a set of rules in artifacts of some kinds.

    Subclasses set ``rule_ids`` (the rules they implement) or ``rule_kind`` (every rule of that
    kind, e.g. all ``secret`` rules), and ``kinds`` (artifact kinds they read; empty means all).
    """

    rule_ids: ClassVar[tuple[str, ...]] = ()
    rule_kind: ClassVar[str | None] = None
    kinds: ClassVar[frozenset[str]] = frozenset()
    #: Origin kinds whose artifacts it reads: code checks read code, not build output (``bundle``) or
    #: CI logs (``ci-log``); the secret rules and the bundle and CI-log checks read those too.
    origins: ClassVar[frozenset[str]] = CODE_ORIGINS
    #: True when the detector must see every artifact in ``index`` before any ``detect``.
    needs_index: ClassVar[bool] = False
    #: What every artifact it reads counts as for its rules' checks (e.g. ``"file"`` for the secret
    #: rules: "212 files" examined for secrets); None when the detector says itself what it examined.
    examined_as: ClassVar[str | None] = None

    def __init__(self, rules: list[Rule], config: Config):
        self.rules = {rule.id: rule for rule in rules}
        self.config = config
        #: The scorecard checks its rules serve, sorted (each artifact it reads counts as examined for them).
        self.checks = sorted({rule.check for rule in rules})

    @classmethod
    def implements(cls, rule: Rule) -> bool:
        return rule.id in cls.rule_ids or (cls.rule_kind is not None and rule.kind == cls.rule_kind)

    def wants(self, artifact: Artifact) -> bool:
        return not self.kinds or artifact.kind in self.kinds

    def reads(self, artifact: Artifact) -> bool:
        """Whether the engine gives it ``artifact``: one of its origins, and an artifact it ``wants``."""
        return artifact.origin.kind in self.origins and self.wants(artifact)

    def index(self, artifact: Artifact, ctx: Context) -> None:  # noqa: B027 - optional hook
        """First pass over every wanted artifact (only when ``needs_index``); store facts in ``ctx.facts``.

        The same ``ctx`` (and so its parse cache) is passed to ``detect`` later.
        """

    def tables(self, facts: ProjectFacts) -> dict[str, Any]:
        """Project-level tables built in the index pass, for reporters (e.g. the environment inventory);
        plain JSON-ready data, never a secret value. Called once, after every ``detect``."""
        return {}

    @abstractmethod
    def detect(self, artifact: Artifact, ctx: Context) -> Iterable[Hit]:
        """Yield hits for one artifact."""
