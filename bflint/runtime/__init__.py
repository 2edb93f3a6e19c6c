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

from importlib import import_module
from typing import Any

# Submodules are imported lazily (PEP 562) so that ``python -m bflint.runtime.<module>`` runs
# without runpy warnings and ``import bflint.runtime`` stays cheap.
_EXPORTS = {
    "RUNTIME_EXTRA_HINT": "._common",
    "MissingRuntimeDependency": "._common",
    "DiagnosticsTableError": ".check_diagnostics",
    "check_diagnostics": ".check_diagnostics",
    "suggest_next_steps": ".check_diagnostics",
    "HistoryError": ".inspect_training",
    "inspect_history": ".inspect_training",
    "FIGURE_NAMES": ".report",
    "save_diagnostic_figures": ".report",
    "write_report": ".report",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


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
