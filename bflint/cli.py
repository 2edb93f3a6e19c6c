"""The ``bflint`` command line (click)."""

from __future__ import annotations

import sys

import click

from bflint import __version__, check_command, codecache
from bflint.groups import groups_of
from bflint.output import FORMATS
from bflint.registry import all_rules, rules_by_code

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
    try:
        check_command.run_check(
            paths, select, ignore, extend_select, exclude, extend_exclude, config_path, isolated,
            respect_gitignore, force_exclude, fmt, no_color, stdin_filename, exit_zero, statistics,
            output_file, fix, unsafe_fixes, diff, target_bayesflow, add_noqa, show_traceback, jobs,
            no_cache, cache_dir, no_prefilter, no_project,
            echo=click.echo, isatty=lambda: _stdout_isatty())
    except check_command.UsageError as exc:
        raise click.UsageError(str(exc)) from None


def _stdout_isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


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
