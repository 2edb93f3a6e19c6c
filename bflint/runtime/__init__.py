"""Runtime companion of bflint: inspect training, rate diagnostics, save figures, write report.md.

Importing this package is cheap: it imports neither bayesflow nor pandas nor matplotlib.
Those are needed only by the functions that work on their objects (install them with
``pip install "bflint[runtime]"``).

Public API::

    from bflint.runtime import (
        inspect_history,          # training convergence report from history.history / History / history.json
        check_simulations,        # sanity checks of workflow.simulate(N) before training (+ prior_predictive.png)
        check_diagnostics,        # qualitative ratings from compute_default_diagnostics(...) / metrics.csv
        suggest_next_steps,       # ordered next steps ("When things go wrong")
        save_diagnostic_figures,  # save plot_default_diagnostics(...) under the standard names
        write_report,             # <results_dir>/report.md
    )
"""

from __future__ import annotations

import warnings as _warnings

# ``python -m bflint.runtime.check_diagnostics`` (and ``.inspect_training``) run a module that this
# package has already imported; runpy then warns. Both executions are side-effect free, so the
# warning is noise for users of the documented command lines.
_warnings.filterwarnings(
    "ignore",
    message=r".*found in sys\.modules after import of package 'bflint\.runtime'",
    category=RuntimeWarning,
)

# These modules import only the standard library; bayesflow / pandas / matplotlib are imported
# lazily inside the functions that need them.
from ._common import RUNTIME_EXTRA_HINT, MissingRuntimeDependency  # noqa: E402
from .check_diagnostics import (  # noqa: E402
    DiagnosticsTableError,
    check_diagnostics,  # noqa: E402  (the function shadows the submodule name)
    suggest_next_steps,
)
from .inspect_training import HistoryError, inspect_history  # noqa: E402
from .report import FIGURE_NAMES, save_diagnostic_figures, write_report  # noqa: E402
from .simulations import check_simulations  # noqa: E402  (numpy is imported inside the function)

__all__ = [
    "FIGURE_NAMES",
    "RUNTIME_EXTRA_HINT",
    "DiagnosticsTableError",
    "HistoryError",
    "MissingRuntimeDependency",
    "check_diagnostics",
    "check_simulations",
    "inspect_history",
    "save_diagnostic_figures",
    "suggest_next_steps",
    "write_report",
]
