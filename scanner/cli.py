"""Command line: ``launchready scan``, ``launchready audit``, ``launchready baseline``, ``launchready rules``.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 usage or fatal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from scanner import __version__
from scanner.audit import DEFAULT_OUT
from scanner.config import FAIL_ON_CHOICES, Config, ConfigError, load_config
from scanner.reporters import REPORTERS, get_reporter
from scanner.reporters.terminal import terminal_safe
from scanner.rules import Registry, RuleError, default_registry

if TYPE_CHECKING:
    from scanner.result import ScanResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageFailure(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def fail(message: str) -> NoReturn:
    raise UsageFailure(message)


def _report_file_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--json FILE``, ``--sarif FILE``... one per registered reporter, so one scan writes several."""
    for name in reversed(list(REPORTERS)):
        command = click.option(
            f"--{name}", f"report_{name}", metavar="FILE",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"Also write the {name} report to FILE.",
        )(command)
    return command


def find_root(paths: list[Path]) -> Path:
    """The project root for a scan: the directory given, else the git top level or common folder."""
    absolute = [p.absolute() for p in paths]
    if len(absolute) == 1 and absolute[0].is_dir():
        return absolute[0]
    common = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in absolute]))
    for folder in (common, *common.parents):
        if (folder / ".git").exists():
            return folder
    return common


def _load_registry(eager: bool = True) -> Registry:
    try:
        return default_registry(eager)
    except RuleError as exc:
        fail(f"invalid rule: {exc}")


def _load_config(root: Path, config_path: Path | None, registry: Registry) -> Config:
    try:
        config = load_config(root, config_path)
    except ConfigError as exc:
        fail(str(exc))
    unknown = sorted((set(config.severity) | config.disable) - set(registry.rules))
    if unknown:
        fail(f"{config.source}: unknown rule id(s) {', '.join(unknown)} (see 'launchready rules')")
    return config


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="launchready")
def cli() -> None:
    """Find what breaks at launch: leaked keys, routes without auth, queries without a tenant filter,
    client-exposed secrets and agent tools without confirmation."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(REPORTERS)), default="text", show_default=True,
              help="Output format for stdout or --output.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE.")
@_report_file_options
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default=None,
              help="Lowest severity that makes the exit code 1 [default: config, else high].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: .launchready.toml or pyproject.toml at the root).")
@click.option("--no-gitignore", is_flag=True, help="Scan files that .gitignore excludes.")
# build output and CI logs (README: "Build output, source maps and CI logs")
@click.option("--no-bundles", is_flag=True, help="Leave build output (dist/, .next/, source maps) out of the scan.")
@click.option("--ci-logs", "ci_logs", metavar="DIR_OR_ZIP", type=click.Path(path_type=Path),
              help="Scan only the CI logs in DIR_OR_ZIP (a GitHub Actions run-log folder or zip, or *.log files).")
@click.option("--verbose", "-v", is_flag=True, help="List skipped files and suppressed findings.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on stdout; only the exit code speaks.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings not in this baseline (launchready's or detect-secrets' format).")
# git history and staged changes (README: "Git history and pre-commit")
@click.option("--history", is_flag=True, help="Scan every commit on every ref for secrets, not the working tree.")
@click.option("--since", metavar="REV", help="Scan the commits after REV up to HEAD (REV..HEAD) for secrets.")
@click.option("--range", "rev_range", metavar="A..B", help="Scan the commits of a git range (e.g. a pull request).")
@click.option("--staged", is_flag=True, help="Scan only the lines added in the git index (pre-commit).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr for history scans [default: when stderr is a terminal].")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes for history scans and large trees [default: 0 = one per CPU core].")
@click.option("--audit", "audit_mode", is_flag=True,
              help="Auditor mode ('launchready audit'): ignore the tree's own configuration, comments and baselines; "
                   "also write every format into launchready-audit/.")
def scan(paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str | None,
         config_path: Path | None, no_gitignore: bool, no_bundles: bool, ci_logs: Path | None, verbose: bool,
         quiet: bool, baseline_path: Path | None,
         history: bool, since: str | None, rev_range: str | None, staged: bool, progress: bool | None, jobs: int,
         audit_mode: bool, **report_files: Path | None) -> None:
    """Scan PATHS (default: the current directory)."""
    if audit_mode:
        given = [name for name, on in (("--history", history), ("--since", since), ("--range", rev_range),
                                       ("--staged", staged), ("--baseline", baseline_path),
                                       ("--no-gitignore", no_gitignore)) if on]
        if given:
            fail(f"--audit reads the working tree and all history, no gitignore or baseline: drop {', '.join(given)}")
        if len(paths) > 1:
            fail("--audit takes one path")
        result, config = _audit(paths[0] if paths else Path("."), Path(DEFAULT_OUT), fail_on, config_path, verbose,
                                quiet, progress, jobs)
        _report(result, fmt, output, verbose, quiet, report_files)
        sys.exit(EXIT_FINDINGS if result.fails(config.fail_on) else EXIT_CLEAN)
    baseline = _load_baseline(baseline_path)
    git_mode = _git_mode(history, since, rev_range, staged)
    if ci_logs is not None:
        if git_mode is not None or paths:
            fail("--ci-logs scans only the logs it names: give no PATHS and no git option")
        result, config = _scan_ci_logs(ci_logs, config_path, fail_on=fail_on, baseline=baseline)
        _report(result, fmt, output, verbose, quiet, report_files)
        sys.exit(EXIT_FINDINGS if result.fails(config.fail_on) else EXIT_CLEAN)
    if git_mode is not None:
        _scan_git(git_mode, paths, fmt, output, fail_on, config_path, verbose, quiet, progress, jobs, baseline,
                  report_files)
    result, config = _scan_worktree(paths, config_path, no_gitignore, fail_on=fail_on, baseline=baseline,
                                    jobs=jobs or os.cpu_count() or 1, bundles=not no_bundles)
    _report(result, fmt, output, verbose, quiet, report_files)
    sys.exit(EXIT_FINDINGS if result.fails(config.fail_on) else EXIT_CLEAN)


def _report(result: ScanResult, fmt: str, output: Path | None, verbose: bool, quiet: bool,
            report_files: dict[str, Path | None]) -> None:
    for name, path in report_files.items():
        if path is not None:
            _write(path, get_reporter(name.removeprefix("report_"), verbose=verbose).render(result))
    if output is not None:
        _write(output, get_reporter(fmt, verbose=verbose).render(result))
    elif not quiet:
        color = fmt == "text" and sys.stdout.isatty()
        click.echo(get_reporter(fmt, verbose=verbose, color=color).render(result), nl=False, color=color)


def _scan_worktree(paths: tuple[Path, ...], config_path: Path | None, no_gitignore: bool, *,
                   fail_on: str | None = None, baseline: Any = None, jobs: int = 1,
                   bundles: bool = True) -> tuple[ScanResult, Config]:
    """Scan the working tree under ``paths`` (default: the current directory); returns (result, config)."""
    from scanner.detectors import DETECTORS
    from scanner.engine import Engine

    targets = list(paths) or [Path(".")]
    for target in targets:
        if not target.exists():
            fail(f"no such file or directory: {target}")
        if not (target.is_dir() or target.is_file()):
            fail(f"not a file or directory: {target}")
        if target.is_dir() and not os.access(target, os.R_OK | os.X_OK):
            fail(f"cannot read directory: {target}")
    root = find_root(targets)
    registry = _load_registry()
    config = _load_config(root, config_path, registry).with_overrides(fail_on=fail_on)
    sources, names = _worktree_sources(root, targets, config, no_gitignore, bundles)
    engine = Engine(registry, config, DETECTORS, baseline=baseline, jobs=jobs)
    return engine.run(sources, root=str(root), source_names=names), config


def _worktree_sources(root: Path, targets: list[Path], config: Config, no_gitignore: bool,
                      bundles: bool) -> tuple[list[Any], list[str]]:
    """The working tree, plus build output (unless ``--no-bundles``) and ``*.log`` files, each read by its
    own source whatever .gitignore says; the working-tree source leaves those files to them."""
    from scanner.paths import is_build_output, is_ci_log
    from scanner.sources import source_class

    common = {"root": root, "paths": targets, "exclude": config.exclude, "max_file_size": config.max_file_size}
    sources = [source_class("ci-log")(**common)]
    names = ["CI logs (*.log)"]
    if bundles:
        sources.insert(0, source_class("bundle")(**common))
        names.insert(0, "build output (bundles, source maps)")

    def select(path: str) -> bool:
        return not is_ci_log(path) and not (bundles and is_build_output(path))

    worktree = source_class("worktree")(**common, use_gitignore=not no_gitignore, select=select)
    return [worktree, *sources], ["working tree", *names]


def _scan_ci_logs(target: Path, config_path: Path | None, *, fail_on: str | None,
                  baseline: Any) -> tuple[ScanResult, Config]:
    """Only the CI logs in ``target`` (a run-log folder, a zip archive or a log file), with the secret and
    CI-log rules."""
    from scanner.detectors import DETECTORS
    from scanner.engine import Engine
    from scanner.sources import source_class
    from scanner.sources.ci_logs import ArchiveError

    if not target.exists():
        fail(f"no such file or directory: {target}")
    root = target.absolute() if target.is_dir() else target.absolute().parent
    registry = _load_registry()
    config = _load_config(root, config_path, registry).with_overrides(fail_on=fail_on)
    only = [r.id for r in registry if r.kind == "secret" or r.id.startswith("ci-log-")]
    engine = Engine(registry, config, DETECTORS, baseline=baseline, only_rules=only)
    source = source_class("ci-log")(root=root, paths=[], exclude=config.exclude, max_file_size=config.max_file_size,
                                    archive=target)
    try:
        return engine.run([source], root=str(root), source_names=[f"CI logs ({target.name})"]), config
    except ArchiveError as exc:
        fail(str(exc))


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path(DEFAULT_OUT),
              show_default=True, help="Folder for report.txt, report.json, report.sarif and report.html.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default=None,
              help="Lowest severity that makes the exit code 1 [default: your --config, else high].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Your configuration, from outside the audited tree (the tree's own is never applied).")
@click.option("--verbose", "-v", is_flag=True, help="List skipped files on stdout too (the files always list them).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on stdout; only the exit code speaks.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr for the history scan [default: when stderr is a terminal].")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes [default: 0 = one per CPU core].")
def audit(path: Path | None, out_dir: Path, fail_on: str | None, config_path: Path | None, verbose: bool,
          quiet: bool, progress: bool | None, jobs: int) -> None:
    """Audit PATH (default: the current directory) as an inherited repository.

    Scans the working tree (build output included, .gitignore not honoured) and, in a git repository,
    every commit on every ref. The repository's own .launchready.toml / [tool.launchready], inline
    'launchready: ignore' comments and baseline files are not applied: the report counts every finding
    and marks those the repository would have hidden. Writes text, JSON, SARIF and HTML into --out.
    """
    result, config = _audit(path or Path("."), out_dir, fail_on, config_path, verbose, quiet, progress, jobs)
    if not quiet:
        color = sys.stdout.isatty()
        click.echo(get_reporter("text", verbose=verbose, color=color).render(result), nl=False, color=color)
    sys.exit(EXIT_FINDINGS if result.fails(config.fail_on) else EXIT_CLEAN)


def _audit(path: Path, out_dir: Path, fail_on: str | None, config_path: Path | None, verbose: bool, quiet: bool,
           progress: bool | None, jobs: int) -> tuple[ScanResult, Config]:
    """Run an audit (``scanner.audit``), write its four reports into ``out_dir``; returns (result, config)."""
    from scanner.audit import audit_root, run_audit, write_reports
    from scanner.detectors import DETECTORS
    from scanner.progress import CommitProgress, progress_wanted
    from scanner.sources.git import GitError

    if not path.exists():
        fail(f"no such file or directory: {path}")
    if not path.is_dir():
        fail(f"audit takes a folder: {path}")
    root, _ = audit_root(path)
    registry = _load_registry()
    config = Config()
    if config_path is not None:
        config = _load_config(root, config_path, registry)
        if config.provenance == "repository":
            fail(f"{config_path} is inside the audited tree; an audit never applies the tree's own configuration")
    config = config.with_overrides(fail_on=fail_on)
    try:
        with CommitProgress(progress_wanted(progress, quiet)) as bar:
            result = run_audit(path, registry, config, DETECTORS, jobs=jobs or os.cpu_count() or 1, out_dir=out_dir,
                               on_progress=bar.update)
    except GitError as exc:
        fail(str(exc))
    except RuleError as exc:
        fail(f"invalid rule: {exc}")
    try:
        written = write_reports(result, out_dir)
    except OSError as exc:
        fail(f"cannot write {out_dir}: {exc.strerror or exc}")
    if not quiet:
        click.echo(f"launchready: audit reports written: {', '.join(terminal_safe(p) for p in written)}", err=True)
    return result, config


def _load_baseline(path: Path | None) -> Any:
    if path is None:
        return None
    from scanner.baseline import BaselineError, load_baseline

    try:
        return load_baseline(path)
    except BaselineError as exc:
        fail(str(exc))


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it [default: PATH/.launchready-baseline.json, or PATH/.secrets.baseline].")
@click.option("--format", "fmt", type=click.Choice(["launchready", "detect-secrets"]), default="launchready",
              show_default=True, help="Baseline format to write.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: .launchready.toml or pyproject.toml at the root).")
@click.option("--no-gitignore", is_flag=True, help="Scan files that .gitignore excludes.")
def baseline(path: Path | None, output: Path | None, fmt: str, config_path: Path | None, no_gitignore: bool) -> None:
    """Record the current findings of PATH in a baseline (hashes only), so later scans report only new ones."""
    from scanner.baseline import DEFAULT_FILE, detect_secrets_document, launchready_document, render

    result, _ = _scan_worktree((path,) if path else (), config_path, no_gitignore)
    if fmt == "detect-secrets":
        document = detect_secrets_document(result.findings, {r.id: r.title for r in result.registry})
        count = sum(len(v) for v in document["results"].values())
    else:
        document = launchready_document(result.findings)
        count = len(document["findings"])
    target = output or Path(result.root) / (DEFAULT_FILE if fmt == "launchready" else ".secrets.baseline")
    _write(target, render(document))
    click.echo(f"wrote {count} finding(s) to {terminal_safe(target)}")


def _git_mode(history: bool, since: str | None, rev_range: str | None, staged: bool) -> tuple[str, ...] | None:
    """None for a working-tree scan, ``("staged",)``, or the ``git rev-list`` arguments of a history scan."""
    chosen = [name for name, on in (("--history", history), ("--since", since), ("--range", rev_range),
                                    ("--staged", staged)) if on]
    if len(chosen) > 1:
        fail(f"choose one of {', '.join(chosen)}")
    if staged:
        return ("staged",)
    if since:
        _check_revisions("--since", [since])
        return (f"{since}..HEAD",)
    if rev_range:
        if ".." not in rev_range:
            fail(f"--range expects A..B, got {rev_range!r}")
        separator = "..." if "..." in rev_range else ".."
        _check_revisions("--range", [side for side in rev_range.split(separator, 1) if side])
        return (rev_range,)
    return ("--all",) if history else None


def _check_revisions(option: str, revisions: list[str]) -> None:
    """Refuse a revision that git could read as an option; the history source then checks each with git."""
    for revision in revisions:
        if revision.startswith("-") or "\0" in revision:
            fail(f"{option}: not a revision: {revision!r}")


def _scan_git(mode: tuple[str, ...], paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str | None,
              config_path: Path | None, verbose: bool, quiet: bool, progress: bool | None, jobs: int,
              baseline: Any, report_files: dict[str, Path | None]) -> NoReturn:
    """Secrets in git: the staged lines, or the added lines of every commit in a range. Exits."""
    from scanner.detectors import DETECTORS
    from scanner.engine import Engine
    from scanner.progress import CommitProgress, progress_wanted
    from scanner.sources import source_class
    from scanner.sources.git import GitError, repository_root

    if len(paths) > 1:
        fail("git scans take one repository path")
    target = paths[0] if paths else Path(".")
    if not target.exists():
        fail(f"no such file or directory: {target}")
    try:
        root = repository_root(target.absolute())
    except GitError as exc:
        fail(str(exc))
    if root is None:
        fail(f"not a git repository: {target}")
    staged = mode == ("staged",)
    registry = _load_registry(eager=not staged)  # the hook compiles only the regexes it needs
    config = _load_config(root, config_path, registry).with_overrides(fail_on=fail_on)
    jobs = 1 if staged else jobs or os.cpu_count() or 1
    engine = Engine(registry, config, DETECTORS, baseline=baseline, jobs=jobs,
                    only_rules=[r.id for r in registry if r.kind == "secret"])
    try:
        if staged:
            source = source_class("staged")(root, config.max_file_size, config.exclude)
            result = engine.run([source], str(root), ["staged changes"])
        else:
            with CommitProgress(progress_wanted(progress, quiet)) as bar:
                source = source_class("history")(root, mode, config.max_file_size, config.exclude, jobs=jobs,
                                       on_progress=bar.update)
                result = engine.run([source], str(root), [f"git history ({' '.join(mode)})"])
            result.stats["commits"] = source.commits_scanned
    except GitError as exc:
        fail(str(exc))
    except RuleError as exc:
        fail(f"invalid rule: {exc}")
    _report(result, fmt, output, verbose, quiet, report_files)
    failed = result.fails(config.fail_on)
    if failed and staged:
        click.echo(_staged_failure_message(result, config.fail_on), err=True)
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


def _staged_failure_message(result: ScanResult, fail_on: str) -> str:
    """What a blocked commit tells the user: where, which rule, and how to suppress or baseline."""
    blocking = result.failing(fail_on)
    lines = [f"launchready: commit blocked: {len(blocking)} secret(s) in staged changes"]
    lines += [terminal_safe(f"  {f.location.path}:{f.location.line}: {f.rule_id}: {f.message}") for f in blocking]
    lines += [
        "Remove the secret from the staged file (and rotate it if it was ever pushed), then stage again.",
        "A false positive? Add a comment on that line or the line above:",
        "  launchready: ignore[RULE-ID] -- reason",
        "Accepting known findings? Record them with 'launchready baseline' and pass the file to the hook:",
        "  args: [--baseline, .launchready-baseline.json]   (in .pre-commit-config.yaml)",
    ]
    return "\n".join(lines)


@cli.command()
@click.argument("rule_id", required=False)
def rules(rule_id: str | None) -> None:
    """List every rule, or show one rule in full."""
    registry = _load_registry()
    if rule_id is None:
        width = max(len(r.id) for r in registry)
        for rule in registry:
            click.echo(f"{rule.id:<{width}}  {rule.severity.label:<8}  {rule.check:<16}  {rule.title}")
        click.echo(f"{len(registry)} rules")
        return
    if rule_id not in registry:
        fail(f"unknown rule {rule_id!r} (see 'launchready rules')")
    click.echo(describe_rule(registry.get(rule_id)))


def describe_rule(rule) -> str:
    """A rule's full documentation as plain text."""
    lines = [
        f"{rule.id}: {rule.title}",
        f"kind: {rule.kind}   severity: {rule.severity}   confidence: {rule.confidence}   check: {rule.check}",
    ]
    if rule.cwe or rule.owasp:
        lines.append("maps to: " + ", ".join([*rule.cwe, *rule.owasp]))
    lines += ["", "What it does and why it matters:", rule.description, "", "How to fix:", rule.remediation]
    if rule.references:
        lines += ["", "References:", *(f"  {ref}" for ref in rule.references)]
    lines += ["", "Examples that are reported:"]
    lines += [f"  {_example_text(e)}" for e in rule.examples.positive]
    lines += ["", "Examples that are not reported:"]
    lines += [f"  {_example_text(e)}" for e in rule.examples.negative]
    return "\n".join(lines)


def _example_text(example: Any) -> str:
    text = example if isinstance(example, str) else example.get("code", str(example.get("files", "")))
    return text.strip().replace("\n", "\n  ")


def main() -> None:
    """Console entry point: user errors are one line and exit 2, never a traceback.

    Messages may quote paths and values from the user or the scanned tree: ``terminal_safe`` keeps
    their control characters (newlines included) from reaching the terminal raw.
    """
    try:
        cli.main(standalone_mode=False, prog_name="launchready")
    except UsageFailure as exc:
        click.echo(f"launchready: error: {terminal_safe(exc)}", err=True)
        sys.exit(EXIT_ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.message = terminal_safe(exc.message)  # may quote a path or value given on the command line
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.Abort:
        click.echo("launchready: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("launchready: interrupted", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # a bug of ours: still one line and exit 2, traceback only on request
        if os.environ.get("LAUNCHREADY_DEBUG"):
            raise
        click.echo(f"launchready: internal error: {type(exc).__name__}: {terminal_safe(exc)} "
                   "(set LAUNCHREADY_DEBUG=1 for a traceback)", err=True)
        sys.exit(EXIT_ERROR)
