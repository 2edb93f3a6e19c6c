"""The ``bflint`` command line (click)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bflint import __version__

FORMATS = ["text", "concise", "json"]


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
            from bflint.runtime import cli as runtime_cli

            return getattr(runtime_cli, _LAZY[name], None)
        return None


def _split(values) -> list[str]:
    out: list[str] = []
    for v in values or ():
        out.extend(p for p in v.replace(",", " ").split() if p)
    return out


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bflint")
def main() -> None:
    """bflint: find silent mistakes in BayesFlow 2.x scripts before they run.

    `bflint [OPTIONS] [PATHS]...` is `bflint check [OPTIONS] [PATHS]...`."""


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--select", multiple=True, help="Codes or prefixes to enable (e.g. BF3, BF302, ALL). Default: ALL.")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of --select.")
@click.option("--exclude", multiple=True, help="Glob of files/directories to skip (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--stdin-filename", default=None, help="The name to report for source read from stdin (`-`).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when problems are found.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the report to this file instead of stdout.")
@click.option("--show-traceback", is_flag=True, help="Add tracebacks to internal-error findings.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores; 1 file is always checked in-process).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Where to keep the result cache (default: .bflint_cache).")
@click.option("--no-prefilter", is_flag=True, hidden=True)
def check(paths, select, ignore, extend_select, exclude, fmt, stdin_filename, exit_zero,
          statistics, output_file, show_traceback, jobs, no_cache, cache_dir, no_prefilter) -> None:
    """Check files, directories or `-` (stdin)."""
    from bflint import engine, output, selection
    from bflint.registry import all_rules

    codes = [r.CODE for r in all_rules()]
    try:
        enabled = selection.resolve(codes, _split(select) if select else None, _split(ignore),
                                    _split(extend_select))
    except selection.SelectionError as exc:
        raise click.UsageError(str(exc))

    prefilter = not no_prefilter
    findings = []
    paths = list(paths) or ["."]
    n_files = 0
    if "-" in paths:
        data = click.get_binary_stream("stdin").read()
        name = stdin_filename or "-"
        if name.endswith(".ipynb"):
            from bflint import notebook

            findings.extend(notebook.check_notebook(data, name, enabled, prefilter=prefilter,
                                                    show_traceback=show_traceback))
        else:
            findings.extend(engine.check_source(data, name, enabled, prefilter=prefilter,
                                                show_traceback=show_traceback))
        n_files += 1
        paths = [p for p in paths if p != "-"]
    if paths:
        from bflint.runner import RunOptions, run

        options = RunOptions(enabled=enabled, exclude=list(exclude), prefilter=prefilter,
                             show_traceback=show_traceback, jobs=jobs, cache=not no_cache,
                             cache_dir=cache_dir)
        more, checked = run(paths, options)
        findings.extend(more)
        n_files += checked
    findings.sort(key=lambda f: f.sort_key())

    if fmt == "json":
        text = output.format_json(findings)
    else:
        text = output.format_concise(findings, n_files)
    if statistics and fmt != "json":
        text = output.format_statistics(findings) + text
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)

    internal = any(f.code == engine.INTERNAL_ERROR for f in findings)
    if internal:
        sys.exit(2)
    if findings and not exit_zero:
        sys.exit(1)
    sys.exit(0)


@main.command("rule")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rule_cmd(code: str, fmt: str) -> None:
    """Show the documentation of one rule."""
    import json

    from bflint.registry import rules_by_code

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
    """List every rule: code, name, severity and summary."""
    import json

    from bflint.registry import all_rules

    if fmt == "json":
        click.echo(json.dumps([{"code": r.CODE, "name": r.NAME, "severity": r.SEVERITY,
                                "summary": r.summary()} for r in all_rules()], indent=2))
        return
    for r in all_rules():
        click.echo(f"{r.CODE}  {r.SEVERITY}  {r.NAME:<42} {r.summary()}")


if __name__ == "__main__":  # pragma: no cover
    main()
