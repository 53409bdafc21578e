"""Env files in the repository, and the inventory of every environment variable the project reads.

- ``env-file-committed``: a ``.env``/``.env.local``/``.env.production``... that is in the repository (not
  ignored) and holds values that look like working credentials: one finding per file, naming the variables.
- ``env-example-real-value``: a template meant to be committed (``.env.example``, ``.env.sample``) that
  holds a real-looking value instead of a placeholder: one finding per variable.
- ``env-not-gitignored``: the scan root's ``.gitignore`` does not ignore ``.env``.

The index pass also builds the environment inventory (:mod:`scanner.analysis.env.inventory`): every
variable read by Python, JS/TS, Docker, CI workflows and hosting configuration, offered to reporters
through :meth:`tables`. Values are never kept: only names, places and yes/no facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from scanner.context import Context, Hit, ProjectFacts
from scanner.detectors.base import Detector
from scanner.model import Artifact

COMMITTED = "env-file-committed"
TEMPLATE = "env-example-real-value"
NOT_IGNORED = "env-not-gitignored"
#: Names of env files a project keeps out of git; the first one is checked against the root .gitignore.
_LOCAL_ENV_NAMES = (".env", ".env.local", ".env.production")
#: How many variable names a committed-file finding lists before "and N more".
_NAMES_SHOWN = 6


class EnvFilesDetector(Detector):
    """Implements the env-file rules and builds the environment inventory."""

    rule_ids = (COMMITTED, TEMPLATE, NOT_IGNORED)
    needs_index = True

    def wants(self, artifact: Artifact) -> bool:
        from scanner.analysis.browser.reach import wanted
        from scanner.analysis.env.inventory import reads_env

        return (artifact.kind == "env" or _is_root_gitignore(artifact.path) or reads_env(artifact)
                or wanted(artifact.path, artifact.kind))

    def index(self, artifact: Artifact, ctx: Context) -> None:
        from scanner.analysis.browser.reach import index_browser, wanted
        from scanner.analysis.env.inventory import index_env

        index_env(ctx)
        if wanted(artifact.path, artifact.kind):
            index_browser(ctx)  # the inventory says which reads reach the browser

    def tables(self, facts: ProjectFacts) -> dict[str, Any]:
        from scanner.analysis.env.inventory import inventory_rows

        return {"env_inventory": inventory_rows(facts)}

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if artifact.kind == "env":
            yield from self._env_file(artifact, ctx)
        elif _is_root_gitignore(artifact.path) and NOT_IGNORED in self.rules:
            yield from self._gitignore(artifact, ctx)

    def _env_file(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.env.dotenv import is_template_file, real_values

        real = real_values(artifact.text)
        for assignment in real:
            ctx.recognise(assignment.value)  # masked in every excerpt of this file, whoever reports it
        if not real:
            return
        if is_template_file(artifact.path):
            if TEMPLATE in self.rules:
                for a in real:
                    yield ctx.finding(TEMPLATE, ctx.span(a.start, a.end), secret=a.value, variable=a.name,
                                      message=f"{a.name} in the committed template {artifact.path} holds a "
                                              "real-looking value instead of a placeholder: rotate the key")
            return
        if COMMITTED not in self.rules:
            return
        names = sorted({a.name for a in real})
        shown = ", ".join(names[:_NAMES_SHOWN]) + (f" and {len(names) - _NAMES_SHOWN} more"
                                                   if len(names) > _NAMES_SHOWN else "")
        first = real[0]
        yield ctx.finding(COMMITTED, ctx.span(first.start, first.end), key=f"env-file:{artifact.path}",
                          variables=names,
                          message=f"{artifact.path} is in the repository with {len(names)} real-looking "
                                  f"secret value(s) ({shown}): remove it from git and rotate every key")

    def _gitignore(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        import pathspec

        lines = [line for line in artifact.text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        if spec.match_file(_LOCAL_ENV_NAMES[0]):
            return
        yield ctx.finding(NOT_IGNORED, ctx.span(0, len(artifact.text.split("\n", 1)[0])), key="gitignore-env",
                          message=".gitignore does not ignore .env: the next `git add .` commits local secrets")


def _is_root_gitignore(path: str) -> bool:
    return PurePosixPath(path).as_posix() == ".gitignore"
