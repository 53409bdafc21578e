"""Auditor mode: an inherited repository cannot switch the scanner off.

``launchready audit PATH`` scans with the auditor's settings (the defaults, or a ``--config`` file from
outside the tree), never the repository's own. The repository's ``.launchready.toml`` /
``[tool.launchready]``, its inline ``launchready: ignore`` comments and its baseline files are read only
to say what they *would* have done: every finding stays counted, and the ones the repository would have
hidden or lowered carry ``Finding.repository_suppressions`` (which mechanism, and where it is set).

Sources: every source registered in ``scanner.sources.SOURCES`` that has an entry in ``AUDIT_SOURCES``
and applies to the tree (git history only in a git repository). The working tree runs every rule; the
other sources run the secret rules (code checks read whole files, not added lines). The two engine runs
are merged into one result in which a secret found both in the working tree and in history is one
finding: the working-tree one, carrying the commit that introduced it. A registered source without an
entry here is listed as not scanned in every report, so a new source is never silently left out.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner.config import Config, ConfigError, is_inside, repository_config
from scanner.model import Finding, Suppression
from scanner.redact import Redactor
from scanner.result import AuditInfo, ScanResult
from scanner.rules import Registry
from scanner.sources import SOURCES, Source, source_class

#: The folder an audit writes its reports into, and the file of each format in it.
DEFAULT_OUT = "launchready-audit"
REPORT_FILES = {"text": "report.txt", "json": "report.json", "sarif": "report.sarif", "html": "report.html"}
#: Baseline files a repository may carry at its root (``launchready baseline`` and detect-secrets write these);
#: a baseline its pre-commit configuration passes to the launchready hook is read too.
REPOSITORY_BASELINES = (".launchready-baseline.json", ".secrets.baseline")
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


@dataclass
class AuditTarget:
    """What every audit source is built from."""

    root: Path
    config: Config
    jobs: int
    #: The repository's git top level (None: not a git repository).
    git_root: Path | None
    #: Paths the audit itself must not read (its own report folder inside the tree).
    exclude: tuple[str, ...] = ()
    on_progress: Callable[[int, int], None] | None = None


def _common(target: AuditTarget) -> dict[str, Any]:
    return {"root": target.root, "paths": [target.root], "exclude": target.exclude,
            "max_file_size": target.config.max_file_size}


def _worktree(target: AuditTarget) -> Source | str:
    # .gitignore is not honoured: a repository could ignore its own tracked files. Build output and logs are
    # read by their own sources (below), as in a normal scan.
    from scanner.paths import is_build_output, is_ci_log

    return source_class("worktree")(**_common(target), use_gitignore=False,
                                    select=lambda path: not is_ci_log(path) and not is_build_output(path))


def _bundles(target: AuditTarget) -> Source | str:
    return source_class("bundle")(**_common(target))


def _ci_logs(target: AuditTarget) -> Source | str:
    return source_class("ci-log")(**_common(target))


def _history(target: AuditTarget) -> Source | str:
    if target.git_root is None:
        return "not a git repository"
    return source_class("history")(target.root, ("--all",), target.config.max_file_size, target.exclude,
                                   jobs=target.jobs, on_progress=target.on_progress)


@dataclass(frozen=True)
class AuditSource:
    """How an audit builds one registered source: a factory (a source, or why it does not apply)."""

    name: str
    build: Callable[[AuditTarget], Source | str]
    #: Run only the secret rules on it (every source but the working tree holds fragments, logs or bundles).
    secrets_only: bool = True


#: origin kind (as registered in SOURCES) -> how the audit builds it. Add an entry with each new source.
AUDIT_SOURCES: dict[str, AuditSource] = {
    "worktree": AuditSource("working tree", _worktree, secrets_only=False),
    "bundle": AuditSource("build output (bundles, source maps)", _bundles, secrets_only=False),
    "ci-log": AuditSource("CI logs (*.log)", _ci_logs, secrets_only=False),
    "history": AuditSource("git history (all refs)", _history),
}
#: Repository settings whose effect a finding alone does not tell (an allowlist, what counts as tenant data):
#: when the repository changes one, the working tree is scanned again under its configuration to find out.
INDIRECT_SETTINGS = ("public_routes", "tenant_keys", "owner_keys", "tenant_models")
#: Marks that already say why a finding would be missing from a scan under the repository's configuration.
_ABSENCE_EXPLAINED = frozenset({"config-disable", "config-exclude", "config-size-limit"})
#: Registered sources an audit leaves out on purpose, and why.
NOT_AUDITED = {"staged": "staged changes are in the working tree and, once committed, in history"}


@dataclass
class RepositorySettings:
    """What the scanned repository says about its own scan: configuration and baselines (never applied)."""

    config: Config | None = None
    config_error: str = ""
    #: The configuration's exclude patterns, compiled once (None: it excludes nothing, or pathspec refused them).
    exclude_spec: Any = None
    baselines: list[Any] = field(default_factory=list)
    baseline_names: list[str] = field(default_factory=list)
    baseline_errors: list[str] = field(default_factory=list)
    #: (rule, path, line, column) of every working-tree finding a scan under the repository's configuration
    #: reports (suppressed ones too); None when no indirect setting was changed, so no such scan ran.
    reported: set[tuple[str, str, int, int]] | None = None

    @property
    def indirect_settings(self) -> list[str]:
        """The ``INDIRECT_SETTINGS`` the repository's configuration changes."""
        changed = self.config.what_it_changes() if self.config else {}
        return [name for name in INDIRECT_SETTINGS if name in changed]

    @classmethod
    def read(cls, root: Path) -> RepositorySettings:
        """Read the repository's configuration and baselines; an unreadable one is recorded, never fatal."""
        from scanner.baseline import BaselineError, load_baseline

        settings = cls()
        try:
            settings.config = repository_config(root)
        except (ConfigError, ValueError, RecursionError) as exc:
            settings.config_error = str(exc)
        settings.exclude_spec = _exclude_spec(settings.config.exclude if settings.config else ())
        for name in dict.fromkeys([*REPOSITORY_BASELINES, *_hook_baselines(root)]):
            path = root / name
            if not path.is_file():
                continue
            try:
                settings.baselines.append(load_baseline(path))
                settings.baseline_names.append(name)
            except (BaselineError, ValueError, KeyError, TypeError, RecursionError) as exc:
                settings.baseline_errors.append(f"{name}: {exc}")
        return settings

    def suppressions(self, finding: Finding, root: Path) -> tuple[Suppression, ...]:
        """Everything the repository would have done to ``finding``, by mechanism."""
        marks: list[Suppression] = []
        if finding.suppression is not None and finding.suppression.kind == "inline":
            marks.append(finding.suppression)
        config = self.config
        if config is not None:
            where = config.source
            if finding.rule_id in config.disable:
                marks.append(Suppression("config-disable", f"rule disabled in {where}"))
            if self.exclude_spec is not None and self.exclude_spec.match_file(finding.location.path):
                marks.append(Suppression("config-exclude", f"path matches an exclude pattern in {where}"))
            lowered = config.severity.get(finding.rule_id)
            if lowered is not None and lowered < finding.severity:
                marks.append(Suppression("config-severity",
                                         f"severity lowered from {finding.severity} to {lowered} in {where}"))
            size = _file_size(root, finding)
            if size is not None and size > config.max_file_size:
                marks.append(Suppression("config-size-limit",
                                         f"{size} bytes > max_file_size {config.max_file_size} in {where}"))
        for baseline in self.baselines:
            matched = baseline.match(finding)
            if matched is not None:
                marks.append(matched)
                break
        if (self.reported is not None and finding.origin.kind == "worktree"
                and not _ABSENCE_EXPLAINED & {m.kind for m in marks} and _position(finding) not in self.reported):
            marks.append(Suppression("config-other", f"not reported by a scan under {config.source}, which sets "
                                                     f"{', '.join(self.indirect_settings)}"))
        return tuple(marks)


def _hook_baselines(root: Path) -> list[str]:
    """Baselines the repository's pre-commit configuration passes to the launchready hook (``--baseline X``
    in its ``args``), as paths inside ``root``; an unreadable configuration names none."""
    import yaml

    try:
        config = yaml.safe_load((root / PRE_COMMIT_CONFIG).read_text(encoding="utf-8"))
        hooks = [hook for repo in config["repos"] for hook in repo["hooks"] if hook.get("id") == "launchready"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, KeyError, TypeError, AttributeError):
        return []
    found = []
    for hook in hooks:
        args = hook.get("args")
        args = [str(a) for a in args if isinstance(a, (str, int))] if isinstance(args, list) else []
        for option, value in zip(args, [*args[1:], ""], strict=True):
            name = value if option == "--baseline" else option.removeprefix("--baseline=")
            if option.startswith("--baseline") and name and "\0" not in name and is_inside(root / name, root):
                found.append(Path(name).as_posix())
    return found


def _position(finding: Finding) -> tuple[str, str, int, int]:
    return finding.rule_id, finding.location.path, finding.location.line, finding.location.column


def _exclude_spec(patterns: Iterable[str]) -> Any:
    """Exclude patterns with the worktree source's gitignore semantics; None when there are none (or pathspec
    refuses one: then the worktree source could not have applied them either)."""
    lines = [p for p in patterns if p.strip() and not p.lstrip().startswith("#")]
    if not lines:
        return None
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError):
        return None


def _file_size(root: Path, finding: Finding) -> int | None:
    if finding.origin.kind != "worktree" or not finding.location.path:
        return None
    try:
        return (root / finding.location.path).stat().st_size
    except (OSError, ValueError):
        return None


@dataclass
class _Run:
    """One engine run of the audit: its result and the secrets it recognised (memory only)."""

    result: ScanResult
    recognised: set[str]


def audit_root(path: Path) -> tuple[Path, Path | None]:
    """(the folder to audit, its git top level): a path inside a repository audits the whole repository."""
    from scanner.sources.git import GitUnavailable, repository_root

    folder = path.absolute() if path.is_dir() else path.absolute().parent
    try:
        git_root = repository_root(folder)
    except GitUnavailable:
        git_root = None
    return (git_root or folder), git_root


def run_audit(path: Path, registry: Registry, config: Config, detector_classes: Sequence[type], *, jobs: int = 1,
              out_dir: Path | None = None, on_progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Audit the tree at ``path``: every applicable source, the repository's own settings ignored but reported."""
    root, git_root = audit_root(path)
    repository = RepositorySettings.read(root)
    planned, not_scanned = _plan(AuditTarget(root, config, jobs, git_root, _inside(out_dir, root), on_progress))
    runs = _run_engines(planned, registry, config, detector_classes, jobs, root)
    if repository.indirect_settings:
        not_scanned += _scan_as_the_repository(repository, root, registry, detector_classes, jobs,
                                               _inside(out_dir, root))
    merged = merge_runs(runs)
    merged.findings = [_marked(f, repository, root) for f in merged.findings]
    scanned, files, commits = _what_was_read(planned)
    merged.audit = AuditInfo(
        repository_config=repository.config.source if repository.config else "",
        repository_config_error=repository.config_error,
        repository_settings=repository.config.what_it_changes() if repository.config else {},
        baselines=tuple(repository.baseline_names),
        baseline_errors=tuple(repository.baseline_errors),
        scanned=scanned,
        not_scanned=(*not_scanned, *_shallow(git_root)),
        commits_scanned=commits,
        files_scanned=files,
    )
    if commits is not None:
        merged.stats["commits"] = commits
    return merged


def _run_engines(planned: list[tuple[str, Source, bool]], registry: Registry, config: Config,
                 detector_classes: Sequence[type], jobs: int, root: Path) -> list[_Run]:
    """One engine run for the sources that take every rule (the working tree, first), one for the rest."""
    from scanner.engine import Engine

    secret_rules = [r.id for r in registry if r.kind == "secret"]
    runs = []
    for secrets_only in (False, True):
        group = [(name, source) for name, source, only in planned if only == secrets_only]
        if group:
            engine = Engine(registry, config, detector_classes, jobs=jobs,
                            only_rules=secret_rules if secrets_only else None)
            result = engine.run([source for _, source in group], str(root), [name for name, _ in group])
            runs.append(_Run(result, engine.recognised))
    return runs


def _scan_as_the_repository(repository: RepositorySettings, root: Path, registry: Registry,
                             detector_classes: Sequence[type], jobs: int, exclude: tuple[str, ...]) -> list[str]:
    """Scan the working tree under the repository's own configuration (``.gitignore`` still not honoured, so
    only the configuration differs) and record what it reports; returns a not-scanned note if it fails."""
    from scanner.engine import Engine

    config = repository.config
    try:
        source = source_class("worktree")(root=root, paths=[root], exclude=(*config.exclude, *exclude),
                                          max_file_size=config.max_file_size, use_gitignore=False)
        result = Engine(registry, config, detector_classes, jobs=jobs).run([source], str(root), ["working tree"])
    except (ValueError, RecursionError) as exc:  # e.g. an exclude pattern pathspec refuses
        return [f"a scan under the repository's configuration (to attribute {', '.join(repository.indirect_settings)})"
                f": {type(exc).__name__}: {exc}"]
    repository.reported = {_position(f) for f in result.findings}
    return []


def _what_was_read(planned: list[tuple[str, Source, bool]]) -> tuple[tuple[str, ...], int, int | None]:
    """(each source as the header shows it, files read, commits read or None) once the sources ran."""
    described, files, commits = [], 0, None
    for name, source, _ in planned:
        if hasattr(source, "commits_scanned"):
            commits = (commits or 0) + source.commits_scanned
            described.append(f"{name}: {source.commits_scanned} commits")
        elif hasattr(source, "files_read"):
            files += source.files_read
            described.append(f"{name}: {source.files_read} files")
        else:
            described.append(name)
    return tuple(described), files, commits


def _shallow(git_root: Path | None) -> tuple[str, ...]:
    """The part of history a shallow clone cannot show, as a not-scanned entry."""
    from scanner.sources.git import GitError, is_shallow

    try:
        if git_root is not None and is_shallow(git_root):
            return ("git history before the shallow clone's boundary: the clone is shallow "
                    "(run 'git fetch --unshallow' for a full audit)",)
    except GitError:
        pass
    return ()


def _marked(finding: Finding, repository: RepositorySettings, root: Path) -> Finding:
    """The finding counted (its inline suppression lifted) and marked with what the repository would have done."""
    marks = repository.suppressions(finding, root)
    suppression = None if finding.suppression is not None and finding.suppression.kind == "inline" else (
        finding.suppression)
    return replace(finding, suppression=suppression, repository_suppressions=marks)


def _inside(out_dir: Path | None, root: Path) -> tuple[str, ...]:
    """The report folder as an exclude pattern when it lies inside the audited tree (never read our own output)."""
    if out_dir is None:
        return ()
    try:
        rel = out_dir.absolute().resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return ()
    return (f"/{rel}/",) if rel != "." else ()


def _plan(target: AuditTarget) -> tuple[list[tuple[str, Source, bool]], list[str]]:
    """The sources to scan (name, source, secrets only) and those not scanned, each with its reason."""
    planned: list[tuple[str, Source, bool]] = []
    not_scanned: list[str] = []
    for kind in SOURCES:
        entry = AUDIT_SOURCES.get(kind)
        if entry is None:
            if kind not in NOT_AUDITED:
                not_scanned.append(f"{kind}: a registered source with no audit entry yet")
            continue
        built = entry.build(target)
        if isinstance(built, str):
            not_scanned.append(f"{entry.name}: {built}")
        else:
            planned.append((entry.name, built, entry.secrets_only))
    return planned, not_scanned


def merge_runs(runs: Sequence[_Run]) -> ScanResult:
    """One result from the audit's engine runs; the first (working tree) run wins where a secret is in both.

    A later run's secret finding whose rule, file (at HEAD, following renames) and secret hash match a
    working-tree finding is folded into it: the working-tree finding (where the secret is now) takes the
    introducing commit, author, date and commit count into its origin. Every run's recognised secrets
    mask every string of the merged result.
    """
    first = runs[0].result
    findings = list(first.findings)
    by_secret: dict[tuple[str, str, str], list[int]] = {}
    for index, finding in enumerate(findings):
        if finding.secret_hash:
            by_secret.setdefault((finding.rule_id, finding.location.path, finding.secret_hash), []).append(index)
    for run in runs[1:]:
        for finding in run.result.findings:
            key = (finding.rule_id, str(finding.evidence.get("path_at_head", finding.location.path)),
                   finding.secret_hash or "")
            matches = by_secret.get(key) if finding.secret_hash else None
            if not matches:
                findings.append(finding)
                continue
            for index in matches:
                if finding.origin.commit and not findings[index].origin.commit:
                    findings[index] = replace(findings[index], origin=replace(finding.origin, kind="worktree"))
    redactor = Redactor(set().union(*(run.recognised for run in runs)))
    findings = [redactor.value(f) for f in findings]
    findings.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
    results = [run.result for run in runs]
    return replace(
        first,
        findings=findings,
        skipped=redactor.value([n for r in results for n in r.skipped]),
        warnings=redactor.value([n for r in results for n in r.warnings]),
        sources=[name for r in results for name in r.sources],
        duration_seconds=round(sum(r.duration_seconds for r in results), 3),
        artifacts_scanned=sum(r.artifacts_scanned for r in results),
        rules_run=sorted(set().union(*(r.rules_run for r in results))),
        rules_applied=sorted(set().union(*(r.rules_applied for r in results))),
        stats=_merged_stats(results),
        evidence=_merged_by_check([r.evidence for r in results], lambda items: tuple(dict.fromkeys(items))),
        examined=_merged_by_check([r.examined for r in results], _merged_examined),
    )


def _merged_stats(results: Iterable[ScanResult]) -> dict[str, Any]:
    filtered: Counter[str] = Counter()
    for result in results:
        filtered.update(result.stats.get("filtered", {}))
    return {"filtered": dict(sorted(filtered.items()))}


def _merged_by_check(parts: list[dict[str, tuple]], combine: Callable[[list], tuple]) -> dict[str, tuple]:
    checks = sorted({check for part in parts for check in part})
    return {check: combine([item for part in parts for item in part.get(check, ())]) for check in checks}


def _merged_examined(items: list) -> tuple:
    from scanner.coverage import Examined

    totals: dict[str, list[int]] = {}
    for item in items:
        entry = totals.setdefault(item.what, [0, 0])
        entry[0] += item.count
        entry[1] += item.files
    return tuple(Examined(what, count, files) for what, (count, files) in sorted(totals.items()))


def write_reports(result: ScanResult, out_dir: Path, verbose: bool = True) -> list[Path]:
    """Every format at once into ``out_dir`` (created); returns the files written."""
    from scanner.reporters import get_reporter

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, filename in REPORT_FILES.items():
        path = out_dir / filename
        text = get_reporter(name, verbose=verbose).render(result)
        tmp = path.with_name(f".{filename}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
