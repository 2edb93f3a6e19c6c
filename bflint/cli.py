"""The ``bflint`` command line (click)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bflint import __version__, bayesflow_api, codecache, engine, output, selection
from bflint import config as config_mod
from bflint import runner as runner_mod
from bflint import target as target_mod
from bflint.discovery import _excluded as excluded
from bflint.discovery import discover
from bflint.groups import groups_of
from bflint.output import FORMATS
from bflint.registry import all_rules, rules_by_code
from bflint.runner import RunOptions, cap_jobs, run

# The runtime companion's commands, imported only when used (they never
# import bayesflow at import time either).
_LAZY = {
    "inspect-training": "inspect_training_command",
    "check-diagnostics": "check_diagnostics_command",
    "new": "new_command",
}


class _DefaultGroup(click.Group):
    """``bflint PATHS...`` means ``bflint check PATHS...``."""

    def parse_args(self, ctx, args):
        known = set(self.commands) | set(_LAZY)
        if not args or (args[0] not in known and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        return sorted(set(self.commands) | set(_LAZY))

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        if name in _LAZY:
            # start-up: the runtime commands (112 ms of imports) load only when one is run
            from bflint.runtime import cli as runtime_cli


            return getattr(runtime_cli, _LAZY[name], None)
        return None


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bflint")
def main() -> None:
    """bflint: find silent mistakes in BayesFlow 2.x scripts before they run.

    `bflint [OPTIONS] [PATHS]...` is `bflint check [OPTIONS] [PATHS]...`."""
    # start-up: LibCST's ~620 dataclass methods are not compiled again in every run (codecache)
    codecache.install()


@main.command("check")
@click.argument("paths", nargs=-1, type=str)  # checked by the runner (BF001), never a usage error
@click.option("--select", multiple=True, help="Codes or prefixes to enable (e.g. BF3, BF302, ALL). Default: ALL.")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of --select.")
@click.option("--exclude", multiple=True, help="Glob of files/directories to skip (repeatable; replaces the config's).")
@click.option("--extend-exclude", multiple=True, help="Globs to skip on top of --exclude / the config's.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Use this bflint.toml / pyproject.toml instead of searching for one.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None,
              help="Skip files ignored by git when walking directories (default: on).")
@click.option("--force-exclude/--no-force-exclude", default=None,
              help="Apply the excludes to files named on the command line too (for pre-commit).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: full on a terminal, else concise; text = concise).")
@click.option("--no-color", is_flag=True, help="No colours (also: the NO_COLOR environment variable).")
@click.option("--stdin-filename", default=None, help="The name to report for source read from stdin (`-`).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when problems are found.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the report to this file instead of stdout.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes (files are rewritten).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix / --diff: apply the unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--target-bayesflow", "target_bayesflow", default=None, metavar="2.0|2.1",
              help="Judge against this BayesFlow series (default: target-bayesflow in the "
                   "configuration, else the project's pin of bayesflow, else the latest).")
@click.option("--add-noqa", is_flag=True,
              help="Add `# noqa: CODE` to every line with a finding (keeps existing codes).")
@click.option("--show-traceback", is_flag=True, help="Add tracebacks to internal-error findings.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores; 1 file is always checked in-process).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Where to keep the result cache (default: .bflint_cache).")
@click.option("--no-project", is_flag=True,
              help="Check each file alone: do not read the project's own modules it imports.")
@click.option("--no-prefilter", is_flag=True, hidden=True)
def check(paths, select, ignore, extend_select, exclude, extend_exclude, config_path, isolated,
          respect_gitignore, force_exclude, fmt, no_color, stdin_filename, exit_zero, statistics,
          output_file, fix, unsafe_fixes, diff, target_bayesflow, add_noqa, show_traceback, jobs, no_cache, cache_dir,
          no_prefilter, no_project) -> None:
    """Check files, directories or `-` (stdin)."""
    import os


    paths = list(paths) or ["."]
    try:
        if isolated:
            cfg = config_mod.Config()
        elif config_path:
            cfg = config_mod.load(config_path)
        else:
            cfg = config_mod.discover([stdin_filename or "." if p == "-" else p for p in paths])
        enabled = config_mod.enabled_codes(
            cfg, selection.split_option(select, "--select") if select else None,
            selection.split_option(ignore, "--ignore"),
            selection.split_option(extend_select, "--extend-select"))
        explicit_target = target_mod.normalize(target_bayesflow) if target_bayesflow \
            else cfg.target_bayesflow
    except (config_mod.ConfigError, target_mod.TargetError) as exc:
        click.echo(f"bflint: error: {output.safe(str(exc))}", err=True)
        sys.exit(2)
    except selection.SelectionError as exc:
        raise click.UsageError(output.safe(str(exc))) from None

    excludes = (_split_globs(exclude) if exclude else list(cfg.exclude)) + list(cfg.extend_exclude) \
        + _split_globs(extend_exclude)
    if respect_gitignore is None:
        respect_gitignore = cfg.respect_gitignore
    if force_exclude is None:
        force_exclude = cfg.force_exclude
    stdout_tty = _stdout_isatty() and not output_file
    if fmt is None:
        fmt = "full" if stdout_tty else "concise"
    color = fmt == "full" and stdout_tty and not no_color and not os.environ.get("NO_COLOR")
    per_file = cfg.per_file_ignores
    root = cfg.root

    prefilter = not no_prefilter
    findings = []
    n_files = 0
    given: dict[str, bytes] = {}
    stdin_data = None
    stdin_name = stdin_filename or "-"
    if "-" in paths:
        stdin_data = sys.stdin.buffer.read()
        given[stdin_name] = stdin_data
        en = enabled - config_mod.ignored_codes_for(stdin_name, per_file, root) if per_file else enabled
        stdin_target = target_mod.for_file(stdin_filename or ".", explicit_target)
        if force_exclude and stdin_filename and _excluded(stdin_filename, excludes):
            pass
        elif stdin_name.endswith(".ipynb"):
            from bflint import notebook  # start-up: only notebooks load the notebook reader

            with bayesflow_api.use_target(stdin_target):
                findings.extend(notebook.check_notebook(stdin_data, stdin_name, en, prefilter=prefilter,
                                                        show_traceback=show_traceback))
        else:
            with bayesflow_api.use_target(stdin_target):
                findings.extend(engine.check_source(stdin_data, stdin_name, en, prefilter=prefilter,
                                                    show_traceback=show_traceback))
        n_files += 1
        paths = [p for p in paths if p != "-"]
    files: list[Path] = []
    if paths:
        # named paths are checked even when ignored; --force-exclude: unless excluded (issue 13 §1)
        files, missing = discover([Path(p) for p in paths], exclude=excludes,
                                  respect_gitignore=respect_gitignore, force_exclude=force_exclude)
        if files or missing:
            jobs, note = cap_jobs(jobs)
            if note:
                click.echo(note, err=True)
            options = RunOptions(enabled=enabled, exclude=[], prefilter=prefilter,
                                 show_traceback=show_traceback, jobs=jobs, cache=not no_cache,
                                 cache_dir=cache_dir, target=explicit_target,
                                 project=not no_project)
            more, checked = run([str(f) for f in files] + [str(m) for m in missing], options)
            findings.extend(config_mod.filter_per_file(more, per_file, root))
            n_files += checked
    findings.sort(key=lambda f: f.sort_key())
    if n_files == 0:  # ruff's words; and never "All checks passed" (issue 13 §1)
        click.echo("warning: No Python files found under the given path(s)", err=True)

    if add_noqa:  # issue 13 §3: bflint/add_noqa.py
        from bflint import add_noqa as add_noqa_mod  # start-up: a plain check never loads it

        sys.exit(add_noqa_mod.report(findings, stdin=stdin_data is not None, fix=fix or diff))

    n_fixed = not_fixed = 0
    if fix or diff:
        findings, n_fixed, changed, not_fixed = _apply_fixes(findings, files, enabled, per_file,
                                                             root, unsafe_fixes, diff, prefilter,
                                                             stdin_name, stdin_data, explicit_target,
                                                             project=None if no_project
                                                             else runner_mod.project_index())
        if diff:
            if changed:
                click.echo(changed, nl=False)
            n = n_fixed
            hidden = 0 if unsafe_fixes else sum(
                1 for f in findings if f.fix and not output.applicable(f))
            suffix = f" ({output._fixes(hidden)})" if hidden else ""
            click.echo(f"Would fix {n} problem{'s' if n != 1 else ''}{suffix}." if n
                       else f"No fixes available{suffix}.", err=True)
            sys.exit(1 if n and not exit_zero else 0)

    text = output.render(fmt, findings, n_files, color=color, source=output.SourceLines(given),
                         fixed=n_fixed, unsafe=unsafe_fixes)
    if n_files == 0 and not findings and fmt in ("full", "concise", "text"):
        text = ""
    if statistics:  # only the table, as ruff (issue 13 §4); JSON with --format json
        text = output.format_statistics_json(findings, unsafe_fixes) if fmt == "json" \
            else output.format_statistics(findings, unsafe_fixes)
        if fix and n_fixed:  # --fix still says what it did; the table stays alone on stdout
            click.echo(f"Fixed {n_fixed} problem{'s' if n_fixed != 1 else ''}.", err=True)
        if not no_project and fmt != "json":  # issue 12: how far the project analysis read (stderr)
            n = runner_mod.modules_read()
            click.echo(f"{n} project module{'s' if n != 1 else ''} read through imports", err=True)
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    elif fix and stdin_data is not None:
        # the fixed source goes to stdout, every report to stderr, also when
        # other paths are fixed in the same run (issue 16 item 8)
        click.echo(text, nl=False, err=True)
    else:
        click.echo(text, nl=False, color=color)

    internal = any(f.code == engine.INTERNAL_ERROR for f in findings)
    if internal or not_fixed:  # a file that could not be written (issue 16 item 9)
        sys.exit(2)
    if findings and not exit_zero:
        sys.exit(1)
    sys.exit(0)


def _stdout_isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _split_globs(values) -> list[str]:
    out: list[str] = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def _excluded(path: str, patterns: list[str]) -> bool:
    return bool(patterns) and excluded(Path(path), patterns)


def _apply_fixes(findings, files, enabled, per_file, root, unsafe, diff, prefilter, stdin_name,
                 stdin_data, explicit_target=None, project=None):
    """Fix the files with applicable fixes; returns (findings after fixing,
    number fixed, the diff text, number of files that could not be written)."""
    import os

    # start-up: only --fix / --diff load the fixers (hashlib's OpenSSL with them)
    from bflint import fix as fixes
    from bflint import notebook, notebook_fix

    by_file: dict[str, list] = {}
    for f in findings:
        by_file.setdefault(f.filename, []).append(f)
    paths = {str(p): p for p in files}
    out, n_fixed, diffs, failed = [], 0, [], 0
    stdin_done = False
    for name, fs in by_file.items():
        fixable = [f for f in fs if f.fix and (f.fix.get("applicability") == "safe" or unsafe)]
        if not fixable:
            out.extend(fs)
            continue
        if any(f.cell is not None for f in fixable) or name.endswith(".ipynb"):
            en = enabled - config_mod.ignored_codes_for(name, per_file, root) if per_file else enabled
            if stdin_data is not None and name == stdin_name:
                out.extend(fs)  # a notebook on stdin: not rewritten
                continue
            path = paths.get(name) or Path(name)
            try:
                with bayesflow_api.use_target(target_mod.for_file(path, explicit_target)):
                    nf = notebook_fix.fix_notebook(path, en, display=name, unsafe=unsafe,
                                                   write=not diff, prefilter=prefilter)
            except (OSError, ValueError, notebook.NotebookError) as exc:
                click.echo(f"bflint: {output.safe(name)}: notebook not fixed: {output.safe(str(exc))}",
                           err=True)
                out.extend(fs)
                continue
            if nf.error:
                failed += 1
                click.echo(f"bflint: {output.safe(name)}: {output.safe(nf.error)}", err=True)
            n_fixed += len(nf.fixed)
            out.extend(config_mod.filter_per_file(nf.remaining, per_file, root))
            if diff and nf.changed:
                diffs.append(fixes.unified_diff(nf.original, nf.text, os.path.normpath(name)))
            continue
        en = enabled - config_mod.ignored_codes_for(name, per_file, root) if per_file else enabled
        if stdin_data is not None and name == stdin_name:
            try:
                text = engine.decode(stdin_data)
            except engine.DecodeError:
                out.extend(fs)
                continue
            with bayesflow_api.use_target(target_mod.for_file(stdin_name if stdin_name != "-" else ".",
                                                              explicit_target)):
                res = fixes.fix_text(text, name, en, unsafe=unsafe, prefilter=prefilter)
            stdin_done = True
            n_fixed += len(res.fixed)
            out.extend(res.remaining)
            if diff:
                diffs.append(fixes.unified_diff(text, res.text, name))
            else:
                sys.stdout.write(res.text)
            continue
        path = paths.get(name) or Path(name)
        with bayesflow_api.use_target(target_mod.for_file(path, explicit_target)):
            ff = fixes.fix_file(path, en, display=name, unsafe=unsafe, write=not diff,
                                prefilter=prefilter, project=project)
        if ff is None:
            out.extend(fs)
            continue
        if ff.error:
            failed += 1
            click.echo(f"bflint: {output.safe(name)}: {output.safe(ff.error)}", err=True)
        n_fixed += len(ff.result.fixed)
        out.extend(config_mod.filter_per_file(ff.result.remaining, per_file, root))
        if diff and ff.changed:
            diffs.append(fixes.unified_diff(ff.original, ff.result.text, os.path.normpath(name)))
    if stdin_data is not None and not diff and not stdin_done:
        # nothing fixed in stdin: echo it unchanged (like a formatter)
        sys.stdout.buffer.write(stdin_data) if hasattr(sys.stdout, "buffer") else None
        sys.stdout.flush()
    out.sort(key=lambda f: f.sort_key())
    return out, n_fixed, "".join(diffs), failed


@main.command("server")
def server_cmd() -> None:
    """Run the language server (LSP over stdio; needs `pip install "bflint[server]"`)."""
    from bflint.server import main as serve  # start-up: pygls loads only for this command

    sys.exit(serve())


@main.command("rule")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rule_cmd(code: str, fmt: str) -> None:
    """Show the documentation of one rule."""
    import json


    rule = rules_by_code().get(code.upper())
    if rule is None:
        raise click.UsageError(f"unknown rule code `{code}` (see `bflint rules`)")
    if fmt == "json":
        click.echo(json.dumps({"code": rule.CODE, "name": rule.NAME, "severity": rule.SEVERITY,
                               "summary": rule.summary(), "explanation": rule.doc()}, indent=2))
        return
    click.echo(f"# {rule.NAME} ({rule.CODE})\n\nSeverity: {rule.SEVERITY}\n\n{rule.doc()}")


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_cmd(fmt: str) -> None:
    """List every rule: code, severity, group, name and summary."""
    import json


    if fmt == "json":
        click.echo(json.dumps([{"code": r.CODE, "name": r.NAME, "severity": r.SEVERITY,
                                "groups": list(groups_of(r.CODE)),
                                "summary": r.summary()} for r in all_rules()], indent=2))
        return
    for r in all_rules():
        click.echo(f"{r.CODE}  {r.SEVERITY}  {','.join(groups_of(r.CODE)):<11}  {r.NAME:<42} {r.summary()}")


if __name__ == "__main__":  # pragma: no cover
    main()
