"""Click commands of the runtime companion, to be registered on the main ``bflint`` group::

    from bflint.runtime.cli import check_diagnostics_command, inspect_training_command, new_command

    main.add_command(inspect_training_command, "inspect-training")
    main.add_command(check_diagnostics_command, "check-diagnostics")
    main.add_command(new_command, "new")

Importing this module imports neither bayesflow nor pandas nor matplotlib.

Exit status of ``inspect-training`` and ``check-diagnostics``: 0 healthy, 1 issues found,
2 unreadable or malformed input (message on stderr, no traceback).
"""

from __future__ import annotations

import json
import sys

import click

from .check_diagnostics import build_cli_report
from .inspect_training import HistoryError, inspect_history

__all__ = ["inspect_training_command", "check_diagnostics_command", "new_command"]


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command(
    "inspect-training",
    short_help="Check a training history (history.json) for convergence problems.",
    help="Check a training history (history.json written with json.dump(history.history, f)) for NaN "
    "losses, missing validation loss, overfitting, diverging validation loss and under-training. Prints "
    "a JSON report. Exit status: 0 healthy, 1 issues found, 2 unreadable input.",
)
@click.argument("history", type=click.Path(dir_okay=False, allow_dash=False))
@click.option("--output", "output", type=click.Path(dir_okay=False), default=None,
              help="also write the JSON report to this file (for agents and CI).")
def inspect_training_command(history: str, output: str | None) -> None:
    try:
        report = inspect_history(history)
    except HistoryError as exc:
        _fail(str(exc))
        return
    _write_output(output, report)
    click.echo(json.dumps(report, indent=2))
    sys.exit(0 if report["overall"]["ok"] else 1)


def _write_output(output: str | None, obj: object) -> None:
    if not output:
        return
    # start-up: the JSON writer (bflint.atomic, 9 ms) loads only when --output is given
    from .workflow_io import write_json

    try:
        write_json(output, obj)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")


@click.command(
    "check-diagnostics",
    short_help="Rate BayesFlow diagnostics (metrics.csv) per parameter; suggest next steps.",
    help="Rate calibration, recovery and contraction per parameter from metrics.csv (written by "
    "workflow.compute_default_diagnostics(...).to_csv(...)) and suggest next steps. Prints JSON. "
    "Exit status: 0 healthy, 1 something needs attention, 2 unreadable input.",
)
@click.argument("metrics", type=click.Path(dir_okay=False))
@click.option(
    "--history",
    type=click.Path(dir_okay=False),
    default=None,
    help="history.json of the same run, so training problems are part of the next steps.",
)
@click.option("--output", "output", type=click.Path(dir_okay=False), default=None,
              help="also write the JSON result to this file (for agents and CI).")
def check_diagnostics_command(metrics: str, history: str | None, output: str | None) -> None:
    try:
        out, code = build_cli_report(metrics, history)
    except ValueError as exc:  # DiagnosticsTableError, HistoryError
        _fail(str(exc))
        return
    _write_output(output, out)
    click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    sys.exit(code)


_KINDS = ("set", "time-series", "image", "vector", "image-target")


@click.command(
    "new",
    short_help="Generate a complete BayesFlow workflow script for a data modality.",
    help="Write <SLUG>.py: a complete BayesFlow 2.1 workflow script for the given data modality, "
    "following the amortized-workflow guide (run it with --smoke for a quick end-to-end check).",
)
@click.argument("slug")
@click.option(
    "--data",
    "kind",
    type=click.Choice(_KINDS),
    required=True,
    help="data modality: set (exchangeable observations), time-series, image (image observations), "
    "vector (one fixed-length vector), image-target (images as the inference target).",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="directory for the script (results go to <output-dir>/<slug>/ when it runs).",
)
@click.option("--force", is_flag=True, help="overwrite an existing script.")
def new_command(slug: str, kind: str, output_dir: str, force: bool) -> None:
    # start-up: the template (9 ms) loads only for `bflint new`
    from .template import TemplateError, write_script

    try:
        path = write_script(slug, kind, output_dir, force=force)
    except TemplateError as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"cannot write the script: {exc}")
        return
    click.echo(f"wrote {path}")
    click.echo(f"run it with: python {path} --smoke   (tiny end-to-end check), then without --smoke")
    import importlib.util  # find_spec locates bayesflow without importing it (issue 13 §6)

    if importlib.util.find_spec("bayesflow") is None:
        click.echo(f"warning: BayesFlow is not importable with this Python ({sys.executable}, "
                   f"{sys.version.split()[0]}): the script will fail on `import bayesflow`. It needs "
                   "BayesFlow 2.1 on Python 3.12 or 3.13: pip install \"bflint[runtime]\" there.", err=True)
