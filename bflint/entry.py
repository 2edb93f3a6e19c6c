"""The ``bflint`` console script. ``bflint [check] PATHS...`` with no option (what
pre-commit and most runs pass) is checked without importing click: ``import click`` is ~30 ms
of a ~90 ms cached run (issue 18 §2). Anything else, options, ``-`` (stdin), the other
commands, ``--help`` and ``--version``, goes to click's CLI (:mod:`bflint.cli`), which
runs the same :func:`bflint.check_command.run_check`."""

from __future__ import annotations

import sys

from bflint import check_command, codecache

# every first word the click group dispatches on (bflint.cli: its commands and _LAZY)
COMMANDS = frozenset({"check", "server", "rule", "rules", "inspect-training", "check-diagnostics",
                      "new"})


def plain_paths(args: list[str]) -> list[str] | None:
    """The paths of ``bflint [check] PATHS...`` when nothing else is on the command line."""
    if args and args[0] in COMMANDS:
        if args[0] != "check":
            return None
        args = args[1:]
    if any(not a or a.startswith("-") for a in args):
        return None
    return args


def main() -> None:
    paths = plain_paths(sys.argv[1:])
    if paths is None:
        from bflint.cli import main as click_main  # start-up: options and commands need click

        click_main()
        return
    codecache.install()  # as the click group's callback does
    try:
        check_command.run_check(paths)
    except check_command.UsageError:
        # an invalid code in the configuration: click's usage message, from the same check
        from bflint.cli import main as click_main  # start-up: an error path only

        click_main()
    except KeyboardInterrupt:
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(1)
