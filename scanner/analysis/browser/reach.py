"""Placeholder until the module graph lands (replaced in the next commit)."""

from __future__ import annotations

from scanner.context import ProjectFacts


class BrowserReach:
    def reaches(self, path: str) -> bool:
        return False


def browser_reach(facts: ProjectFacts) -> BrowserReach:
    return facts.bucket("browser-reach", BrowserReach)
