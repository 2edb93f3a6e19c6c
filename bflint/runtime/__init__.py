"""Runtime companion of bflint: inspect training, rate diagnostics, save figures, write report.md.

Importing this package is cheap: it imports neither bayesflow nor pandas nor matplotlib.
Those are needed only by the functions that work on their objects (install them with
``pip install "bflint[runtime]"``).

Public API::

    from bflint.runtime import (
        inspect_history,          # training convergence report from history.history / History / history.json
        check_diagnostics,        # qualitative ratings from compute_default_diagnostics(...) / metrics.csv
        suggest_next_steps,       # ordered next steps ("When things go wrong")
        save_diagnostic_figures,  # save plot_default_diagnostics(...) under the standard names
        write_report,             # <results_dir>/report.md
    )
"""

from __future__ import annotations

from ._common import RUNTIME_EXTRA_HINT, MissingRuntimeDependency
from .check_diagnostics import DiagnosticsTableError, check_diagnostics, suggest_next_steps
from .inspect_training import HistoryError, inspect_history
from .report import FIGURE_NAMES, save_diagnostic_figures, write_report

__all__ = [
    "FIGURE_NAMES",
    "RUNTIME_EXTRA_HINT",
    "DiagnosticsTableError",
    "HistoryError",
    "MissingRuntimeDependency",
    "check_diagnostics",
    "inspect_history",
    "save_diagnostic_figures",
    "suggest_next_steps",
    "write_report",
]
