"""GitHub Actions workflows that leak secrets or run untrusted code with them.

- ``workflow-pr-target-checkout``: a ``pull_request_target`` workflow (it runs with the base
  repository's secrets and a write token) that checks out the pull request's head (``ref:`` naming
  ``github.event.pull_request.head.*``, ``github.head_ref`` or ``refs/pull/...``, or ``gh pr checkout``),
  so the attacker's code runs with them;
- ``workflow-secret-echoed``: a ``run`` step that prints a secret (``echo``/``printf`` of
  ``${{ secrets.X }}`` or of an env variable set from one; ``toJSON(secrets)``), or writes one to a
  file in a job that uploads artifacts, or to the public step summary. GitHub masks only exact values:
  any transformation (base64, a substring, JSON) prints the secret;
- ``workflow-secret-command-line``: ``${{ secrets.X }}`` expanded straight into a command line
  (``curl -H "...${{ secrets.TOKEN }}"``): the value is written into the generated script, shows in
  the process list and in ``set -x`` traces; pass it through ``env:`` instead.

Workflows are read with PyYAML's safe loader (``yaml.compose``: nodes with positions, no object
construction); a file that does not parse is reported as skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact

PR_TARGET_RULE = "workflow-pr-target-checkout"
ECHO_RULE = "workflow-secret-echoed"
COMMAND_RULE = "workflow-secret-command-line"

_WORKFLOW_PATH = re.compile(r"(?:^|/)\.github/workflows/[^/]+\.ya?ml$")
_SECRET_EXPR = re.compile(r"\$\{\{\s*(?:secrets\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)|secrets\[['\"](?P<key>[^'\"]+)['\"]\]"
                          r"|toJSON\(\s*secrets\s*\))[^}]*\}\}")
_ALL_SECRETS = re.compile(r"toJSON\(\s*secrets\s*\)", re.IGNORECASE)
_PRINT = re.compile(r"(?:^\s*|[;&|(]\s*|\bthen\s+|\bdo\s+)(?:echo|printf|cat\s+<<)\b")
#: Output redirection to a file: ``> file``, ``>> file``, ``| tee file``.
_REDIRECT = re.compile(r"(?:>>?|\|\s*tee(?:\s+-a)?)\s*(?P<target>\"?[^\s;&|]+)")
#: Files the runner itself reads (the environment and outputs of later steps, the PATH), and no file at all.
_RUNNER_FILES = re.compile(r"GITHUB_(?:ENV|OUTPUT|PATH|STATE)\b|^/dev/null|^&\d")
_ASSIGNMENT_LINE = re.compile(r"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=")
_HEAD_REF = re.compile(r"github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref|refs/pull/"
                       r"|github\.event\.pull_request\.number")
#: Last words of secret names that hold identifiers, not credentials (``secrets.TODESKTOP_ID``): not reported
#: on a command line.
_IDENTIFIER_WORDS = frozenset({"ID", "NAME", "USER", "USERNAME", "EMAIL", "URL", "HOST", "REGION", "ORG", "PROJECT",
                               "ACCOUNT"})
_PR_CHECKOUT = re.compile(r"\bgh\s+pr\s+checkout\b|\bgit\s+fetch\b[^\n]*\bpull/")


@dataclass(frozen=True)
class RunScript:
    """A ``run:`` script: its text's offsets in the file, the env names set from secrets, the job's traits."""

    start: int
    end: int
    secret_env: frozenset[str]
    uploads_artifacts: bool


def _node(mapping, key: str):
    """The value node of ``key`` in a YAML mapping node (None when absent or not a mapping)."""
    import yaml

    if not isinstance(mapping, yaml.MappingNode):
        return None
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _items(node) -> list:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [v for _, v in node.value]
    return []


def _scalar(node) -> str:
    import yaml

    return node.value if isinstance(node, yaml.ScalarNode) else ""


def _secret_env(node) -> set[str]:
    """Names of an ``env:`` mapping whose values come from secrets."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return set()
    return {k.value for k, v in node.value if isinstance(k, yaml.ScalarNode) and _SECRET_EXPR.search(_scalar(v))}


def _triggers(root) -> set[str]:
    import yaml

    node = _node(root, "on")
    if isinstance(node, yaml.ScalarNode):
        return {node.value}
    if isinstance(node, yaml.SequenceNode):
        return {_scalar(n) for n in node.value}
    if isinstance(node, yaml.MappingNode):
        return {_scalar(k) for k, _ in node.value}
    return set()


def _names_identifier(name: str) -> bool:
    return name.upper().rsplit("_", 1)[-1] in _IDENTIFIER_WORDS


class WorkflowDetector(Detector):
    """Implements workflow-pr-target-checkout, workflow-secret-echoed and workflow-secret-command-line."""

    rule_ids = (PR_TARGET_RULE, ECHO_RULE, COMMAND_RULE)

    def wants(self, artifact: Artifact) -> bool:
        return bool(_WORKFLOW_PATH.search(artifact.path))

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        import yaml

        try:
            root = yaml.compose(artifact.text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            ctx.skip("yaml-error", f"workflow is not valid YAML: {str(exc).splitlines()[0]}")
            return
        if not isinstance(root, yaml.MappingNode):
            return
        ctx.examined("secrets", "workflow")
        pr_target = "pull_request_target" in _triggers(root)
        workflow_env = _secret_env(_node(root, "env"))
        hits: list[Hit] = []
        for job in _items(_node(root, "jobs")):
            job_env = workflow_env | _secret_env(_node(job, "env"))
            steps = _items(_node(job, "steps"))
            uploads = any(_scalar(_node(step, "uses")).startswith("actions/upload-artifact") for step in steps)
            for step in steps:
                if pr_target:
                    hits.extend(self._head_checkout(ctx, step))
                run = _node(step, "run")
                if isinstance(run, yaml.ScalarNode):
                    script = RunScript(run.start_mark.index, run.end_mark.index,
                                       frozenset(job_env | _secret_env(_node(step, "env"))), uploads)
                    hits.extend(self._run(ctx, artifact.text, script, pr_target))
        yield from (hit for hit in hits if hit.rule_id in self.rules)

    def _head_checkout(self, ctx: Context, step) -> Iterator[Hit]:
        """``actions/checkout`` of the pull request's head in a ``pull_request_target`` workflow."""
        if not _scalar(_node(step, "uses")).startswith("actions/checkout"):
            return
        ref = _node(_node(step, "with"), "ref") or _node(_node(step, "with"), "repository")
        if ref is not None and _HEAD_REF.search(_scalar(ref)):
            yield ctx.finding(PR_TARGET_RULE, ctx.span(ref.start_mark.index, ref.end_mark.index),
                              message="pull_request_target workflow checks out the pull request's code "
                                      "(it runs with the repository's secrets and write token)")

    def _run(self, ctx: Context, text: str, script: RunScript, pr_target: bool) -> Iterator[Hit]:
        """Secrets printed, written to files, or expanded into command lines in one ``run`` script."""
        offset = script.start
        env_refs = re.compile(r"\$\{?(?:" + "|".join(map(re.escape, sorted(script.secret_env))) + r")\b") \
            if script.secret_env else None
        for line in text[script.start:script.end].split("\n"):
            start, offset = offset, offset + len(line) + 1
            if pr_target and _PR_CHECKOUT.search(line):
                yield ctx.finding(PR_TARGET_RULE, ctx.span(start + len(line) - len(line.lstrip()), start + len(line)),
                                  message="pull_request_target workflow checks out the pull request's code "
                                          "(it runs with the repository's secrets and write token)")
            expression = _SECRET_EXPR.search(line)
            reference = expression or (env_refs.search(line) if env_refs else None)
            if reference is None:
                continue
            span = ctx.span(start + reference.start(), start + reference.end())
            name = (expression and (expression.group("name") or expression.group("key"))) or \
                reference.group().lstrip("${")
            if _ALL_SECRETS.search(line):
                yield ctx.finding(ECHO_RULE, span, message="Every secret of the repository is expanded in a run "
                                  "step (toJSON(secrets)): one transformation prints them all")
            elif _PRINT.search(line):
                yield from self._printed(ctx, line, span, name, script)
            elif expression and not _ASSIGNMENT_LINE.match(line) and not _names_identifier(name):
                yield ctx.finding(COMMAND_RULE, span, message=f"Secret {name} expanded into a command line "
                                  "(written into the step's script, visible in the process list); pass it via env:")

    def _printed(self, ctx: Context, line: str, span, name: str, script: RunScript) -> Iterator[Hit]:
        """An ``echo``/``printf`` of a secret: to the log, to the public summary, or to a file that an
        artifact upload may publish (files the runner reads, such as ``$GITHUB_ENV``, are fine)."""
        redirect = next((m for m in _REDIRECT.finditer(line) if not re.match(r"&\d|/dev/null", m.group("target"))),
                        None)
        target = redirect.group("target") if redirect else ""
        if redirect is None:
            yield ctx.finding(ECHO_RULE, span, message=f"Secret {name} printed to the job log (masking is "
                              "exact-match only: any transformation shows it)")
        elif "GITHUB_STEP_SUMMARY" in target:
            yield ctx.finding(ECHO_RULE, span, message=f"Secret {name} written to the public job summary")
        elif not _RUNNER_FILES.search(target) and script.uploads_artifacts:
            yield ctx.finding(ECHO_RULE, span, message=f"Secret {name} written to a file in a job that uploads "
                              "artifacts (anyone with read access can download them)")
