"""Diagnostics checker: qualitative per-parameter ratings from BayesFlow's default diagnostics.

``check_diagnostics(metrics)`` accepts what ``workflow.compute_default_diagnostics(...)``
returns in BayesFlow 2.1:

* the pandas ``DataFrame`` (rows ``NRMSE`` / ``Log Gamma`` / ``Calibration Error`` /
  ``Posterior Contraction``, columns = parameter names), or its transpose
  (rows = parameters, as ``compute_custom_diagnostics`` lays it out);
* a path to the ``metrics.csv`` written with ``metrics.to_csv(...)`` (empty first header
  cell; read back with ``index_col=0``), in either orientation;
* the ``as_data_frame=False`` tuple (or list) of dicts
  ``{"values", "metric_name", "variable_names"}``;
* a plain nested mapping ``{metric: {parameter: value}}`` (or ``{parameter: {metric: value}}``);
* ``RMSE`` instead of ``NRMSE`` (``root_mean_squared_error_kwargs={"normalize": None}``):
  an unnormalised error is in the parameter's own units, so recovery is then *not rated*.

It returns, per parameter, ``calibration`` (``excellent`` / ``fair`` / ``poor``),
``recovery`` (``excellent`` / ``good`` / ``fair`` / ``poor``), ``contraction``
(``high`` / ``medium`` / ``low`` / ``poor — overconfident``) and a plain-language
``summary``, plus an overall summary.  The thresholds live in :data:`THRESHOLDS` only;
no report text ever mentions a number.

``suggest_next_steps(training_report, diag_report)`` turns the two reports into ordered
next steps following the guide's "When things go wrong" table (NaN loss first of all,
then training problems, then calibration before recovery).

Command line::

    python -m bflint.runtime.check_diagnostics --metrics metrics.csv [--history history.json]

prints JSON with the ratings, summaries and next steps; exit status 0 when everything is
healthy, 1 when something needs attention, 2 when an input cannot be read.

This module never imports pandas (a ``metrics.csv`` is read with the ``csv`` module).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._common import json_safe, require
from .inspect_training import _summary_dropout, inspect_history

__all__ = [
    "THRESHOLDS",
    "DiagnosticsTableError",
    "check_diagnostics",
    "suggest_next_steps",
    "load_metrics",
    "z_score_sd_row",
    "Z_SD",
    "main",
]

#: The ONE table of thresholds used for the ratings (internal: never printed in reports).
#:
#: ====================  ======================================================================
#: metric                rating rule (first matching line wins)
#: ====================  ======================================================================
#: Calibration Error     ``excellent`` if <= 0.05, ``fair`` if <= 0.10, else ``poor``
#: (the guide's "ECE")
#: Log Gamma             < 0 (SBC uniformity rejected at the 5 % level) caps calibration at
#:                       ``fair``; < -5 (strong rejection) makes it ``poor``
#: NRMSE                 ``excellent`` if <= 0.10, ``good`` if <= 0.25, ``fair`` if <= 0.50,
#:                       else ``poor``
#: Posterior Contraction ``high`` if >= 0.80, ``medium`` if >= 0.50, else ``low``;
#:                       ``high`` with ``poor`` calibration becomes ``poor — overconfident``
#: ====================  ======================================================================
THRESHOLDS: dict[str, dict[str, float]] = {
    "calibration_error": {"excellent": 0.05, "fair": 0.10},
    "log_gamma": {"rejected_below": 0.0, "strongly_rejected_below": -5.0},
    "nrmse": {"excellent": 0.10, "good": 0.25, "fair": 0.50},
    "contraction": {"high": 0.80, "medium": 0.50},
    # standard deviation of the posterior z-scores (posterior mean - truth) / posterior sd over the
    # test sets: about 1 when calibrated, above when the posterior is too narrow, below when too wide
    "z_score_sd": {"overconfident_above": 1.25, "underconfident_below": 0.80},
}

#: The extra row the templates add to BayesFlow's table (see :func:`z_score_sd_row`).
Z_SD = "Posterior z-score SD"
UNDERCONFIDENT = "underconfident"

OVERCONFIDENT = "poor — overconfident"

#: Canonical metric names and the spellings accepted for them (case-insensitive).
_ALIASES: dict[str, tuple[str, ...]] = {
    "NRMSE": ("nrmse", "normalized rmse", "normalised rmse", "normalized root mean squared error"),
    "RMSE": ("rmse", "root mean squared error"),
    "Log Gamma": ("log gamma", "log_gamma", "loggamma", "calibration log gamma"),
    "Calibration Error": ("calibration error", "calibration_error", "ece", "expected calibration error"),
    "Posterior Contraction": ("posterior contraction", "posterior_contraction", "contraction"),
    Z_SD: ("posterior z-score sd", "posterior z score sd", "z-score sd", "z score sd", "posterior_z_score_sd",
           "z_score_sd"),
}
_LOOKUP = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}
_EXPECTED = (
    "a table of BayesFlow default diagnostics: rows 'NRMSE' (or 'RMSE'), 'Log Gamma', 'Calibration Error', "
    "'Posterior Contraction' and one column per parameter (or the transpose), as returned by "
    "workflow.compute_default_diagnostics(...) or written to metrics.csv with metrics.to_csv(...)"
)


class DiagnosticsTableError(ValueError):
    """The diagnostics table could not be read or has none of the expected metrics."""


# --------------------------------------------------------------------------------------
# reading the table into {metric: {parameter: value}}
# --------------------------------------------------------------------------------------


def _canon(name: Any) -> str | None:
    return _LOOKUP.get(" ".join(str(name).strip().lower().split()))


def _num(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise DiagnosticsTableError(f"found a bool ({value!r}) where a metric value was expected; expected {_EXPECTED}")
    try:
        if hasattr(value, "item") and getattr(value, "size", 1) == 1:
            value = value.item()
        return float(value)
    except (TypeError, ValueError) as exc:
        raise DiagnosticsTableError(f"metric value {value!r} is not a number; expected {_EXPECTED}") from exc


def _orient(rows: Mapping[Any, Mapping[Any, Any]], what: str) -> dict[str, dict[str, float]]:
    """Turn a nested mapping in either orientation into ``{metric: {parameter: value}}``.

    Linear in the number of cells. Two labels that name the same metric (``"ECE"`` and
    ``"Calibration Error"``) or the same parameter are an error on every input path.
    """
    row_keys = list(rows)
    metric_rows = [k for k in row_keys if _canon(k)]
    col_keys: dict[Any, None] = {}
    for r in rows.values():
        if not isinstance(r, Mapping):
            raise DiagnosticsTableError(f"{what}: expected {_EXPECTED}")
        col_keys.update(dict.fromkeys(r))
    metric_cols = [k for k in col_keys if _canon(k)]
    table: dict[str, dict[str, float]] = {}

    def add(metric_label: Any, cells: Iterable[tuple[Any, Any]]) -> None:
        canon = _canon(metric_label)
        assert canon is not None
        if canon in table:
            raise DiagnosticsTableError(f"{what} has duplicate rows for the metric {canon!r}; expected {_EXPECTED}")
        row: dict[str, float] = {}
        for p, v in cells:
            key = str(p)
            if key in row:
                raise DiagnosticsTableError(f"{what} has duplicate parameter labels {key!r}; expected {_EXPECTED}")
            row[key] = _num(v)
        table[canon] = row

    if metric_rows and len(metric_rows) >= len(metric_cols):
        for k in metric_rows:
            add(k, rows[k].items())
    elif metric_cols:
        for c in metric_cols:
            add(c, ((p, r[c]) for p, r in rows.items() if c in r))
    else:
        found = ", ".join(repr(str(k)) for k in row_keys[:8]) or "nothing"
        raise DiagnosticsTableError(
            f"{what} has none of the expected metric rows (found rows: {found}); expected {_EXPECTED}"
        )
    if not any(table.values()):
        raise DiagnosticsTableError(f"{what} has metric rows but no parameter columns; expected {_EXPECTED}")
    return table


def _duplicates(labels: Iterable[Any]) -> str | None:
    seen: set[str] = set()
    for label in labels:
        key = str(label)
        if key in seen:
            return key
        seen.add(key)
    return None


def _from_dataframe(df: Any, what: str = "the DataFrame") -> dict[str, dict[str, float]]:
    for axis, labels in (("row", df.index), ("column", df.columns)):
        dup = _duplicates(labels)
        if dup is not None:
            raise DiagnosticsTableError(f"{what} has duplicate {axis} labels ({dup!r}); expected {_EXPECTED}")
    columns = list(df.columns)
    try:
        values = df.to_numpy(dtype=object)
    except Exception:  # pragma: no cover - exotic frames
        values = [[df.iloc[i, j] for j in range(len(columns))] for i in range(len(df.index))]
    rows = {idx: dict(zip(columns, values[i])) for i, idx in enumerate(df.index)}
    return _orient(rows, what)


def _from_tuple_of_dicts(items: Sequence[Any]) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or not {"values", "metric_name"} <= set(item):
            raise DiagnosticsTableError(
                f"item {i} of the sequence is not a dict with 'values', 'metric_name' and 'variable_names' "
                f"(the as_data_frame=False form); expected {_EXPECTED}"
            )
        values = item["values"]
        values = values.tolist() if hasattr(values, "tolist") else values
        if isinstance(values, (int, float)):
            values = [values]
        values = list(values)
        names = item.get("variable_names") or [f"theta_{j}" for j in range(len(values))]
        names = list(names.tolist() if hasattr(names, "tolist") else names)
        if len(names) != len(values):
            raise DiagnosticsTableError(
                f"metric {item['metric_name']!r}: {len(values)} values but {len(names)} variable names"
            )
        dup = _duplicates(names)
        if dup is not None:
            raise DiagnosticsTableError(
                f"metric {item['metric_name']!r} has duplicate variable names ({dup!r}); expected {_EXPECTED}"
            )
        label = str(item["metric_name"])
        if label in rows:
            raise DiagnosticsTableError(f"the tuple of metric dicts has duplicate rows for {label!r}")
        rows[label] = {str(n): v for n, v in zip(names, values)}
    return _orient(rows, "the tuple of metric dicts")


_CSV_MISSING = frozenset({"", "na", "n/a", "#n/a", "nan", "-nan", "null", "none", "<na>"})


def _csv_number(text: str) -> float:
    if text.strip().lower() in _CSV_MISSING:
        return math.nan  # a missing cell, as pandas.read_csv reads it
    return _num(text.strip())


def _read_csv(path: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """Read metrics.csv with the csv module (one behaviour, with or without pandas installed)."""
    name = os.fspath(path)
    try:
        with open(name, newline="", encoding="utf-8-sig") as fh:
            lines = [line for line in csv.reader(fh) if line and any(cell.strip() for cell in line)]
    except FileNotFoundError:
        raise DiagnosticsTableError(f"metrics file {name!r} does not exist") from None
    except OSError as exc:
        raise DiagnosticsTableError(f"cannot read metrics file {name!r}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DiagnosticsTableError(f"cannot parse {name!r} as CSV ({exc}); expected {_EXPECTED}") from None
    if len(lines) < 2:
        raise DiagnosticsTableError(f"{name!r} has no data rows; expected {_EXPECTED}")
    header = lines[0][1:]
    what = repr(name)
    dup = _duplicates(header)
    if dup is not None:
        raise DiagnosticsTableError(f"{what} has duplicate column labels ({dup!r}); expected {_EXPECTED}")
    dup = _duplicates(line[0] for line in lines[1:])
    if dup is not None:
        raise DiagnosticsTableError(f"{what} has duplicate row labels ({dup!r}); expected {_EXPECTED}")
    rows: dict[str, dict[str, float]] = {}
    for line in lines[1:]:
        cells = line[1:]
        if len(cells) > len(header):
            raise DiagnosticsTableError(
                f"{what}: row {line[0]!r} has {len(cells)} values but the header names {len(header)} columns"
            )
        rows[line[0]] = {h: _csv_number(c) for h, c in zip(header, cells)}
    return _orient(rows, what)


def load_metrics(metrics: Any) -> dict[str, dict[str, float]]:
    """Normalise any supported input into ``{metric: {parameter: value}}``."""
    if isinstance(metrics, (str, os.PathLike)):
        return _read_csv(metrics)
    if hasattr(metrics, "to_csv") and hasattr(metrics, "index") and hasattr(metrics, "columns"):
        return _from_dataframe(metrics)
    if isinstance(metrics, Mapping):
        if {"values", "metric_name"} <= set(metrics):
            return _from_tuple_of_dicts([metrics])
        return _orient(metrics, "the mapping")
    if isinstance(metrics, (tuple, list)):
        if not metrics:
            raise DiagnosticsTableError(f"got an empty sequence; expected {_EXPECTED}")
        return _from_tuple_of_dicts(metrics)
    raise DiagnosticsTableError(f"cannot read a {type(metrics).__name__}; expected {_EXPECTED}")


# --------------------------------------------------------------------------------------
# ratings
# --------------------------------------------------------------------------------------


def _finite(x: float | None) -> bool:
    """Present and rateable (see :func:`_meaningful`: infinities that reach here are the worst case)."""
    return x is not None and not math.isnan(x)


def _meaningful(metric: str, value: float | None) -> float | None:
    """``value`` if it can be rated, else ``None`` (missing, NaN, or an impossible infinity).

    An infinity on the bad side of a metric is the worst case, not a missing value: BayesFlow
    reports ``Log Gamma = -inf`` for a badly miscalibrated posterior, and an error of ``inf``
    is a failed recovery.
    """
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        bad_side = -math.inf if metric in ("Log Gamma", "Posterior Contraction") else math.inf  # Z_SD: sd 0
        return value if value == bad_side else None
    return value


def _rate_calibration(ece: float | None, log_gamma: float | None) -> str | None:
    t = THRESHOLDS
    if not _finite(ece) and not _finite(log_gamma):
        return None
    order = ["excellent", "fair", "poor"]
    rating = "excellent"
    if _finite(ece):
        if ece <= t["calibration_error"]["excellent"]:  # type: ignore[operator]
            rating = "excellent"
        elif ece <= t["calibration_error"]["fair"]:  # type: ignore[operator]
            rating = "fair"
        else:
            rating = "poor"
    if _finite(log_gamma):
        if log_gamma < t["log_gamma"]["strongly_rejected_below"]:  # type: ignore[operator]
            rating = "poor"
        elif log_gamma < t["log_gamma"]["rejected_below"]:  # type: ignore[operator]
            rating = order[max(order.index(rating), 1)]
    return rating


def _rate_recovery(nrmse: float | None) -> str | None:
    if not _finite(nrmse):
        return None
    t = THRESHOLDS["nrmse"]
    if nrmse <= t["excellent"]:  # type: ignore[operator]
        return "excellent"
    if nrmse <= t["good"]:  # type: ignore[operator]
        return "good"
    if nrmse <= t["fair"]:  # type: ignore[operator]
        return "fair"
    return "poor"


def _dispersion(z_sd: float | None) -> str | None:
    """``overconfident`` (posterior too narrow), ``underconfident`` (too wide), ``about right`` or ``None``."""
    if not _finite(z_sd):
        return None
    t = THRESHOLDS["z_score_sd"]
    if z_sd > t["overconfident_above"]:  # type: ignore[operator]
        return "overconfident"
    if z_sd < t["underconfident_below"]:  # type: ignore[operator]
        return UNDERCONFIDENT
    return "about right"


def _rate_contraction(contraction: float | None, calibration: str | None, dispersion: str | None = None) -> str | None:
    if not _finite(contraction):
        return None
    t = THRESHOLDS["contraction"]
    if contraction >= t["high"]:  # type: ignore[operator]
        # Overconfidence needs evidence of direction (the z-score spread), never contraction alone:
        # a too-wide posterior is miscalibrated too, and the advice differs.
        return OVERCONFIDENT if calibration == "poor" and dispersion == "overconfident" else "high"
    if contraction >= t["medium"]:  # type: ignore[operator]
        return "medium"
    return "low"


def _join_names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def check_diagnostics(metrics: Any) -> dict[str, Any]:
    """Rate each parameter's calibration, recovery and contraction (see module docstring).

    Returns a JSON-serialisable dict::

        {
          "parameters": {"mu": {"calibration": "excellent", "recovery": "good",
                                "contraction": "high", "summary": "...",
                                "metrics": {"NRMSE": 0.2, ...}}, ...},
          "summary": {"mu": "excellent calibration; good recovery; high contraction", ...},
          "recovery_metric": "NRMSE",
          "overall": {"ok": True, "summary": "...", "problems": [...]},
        }

    Raises :class:`DiagnosticsTableError` (a ``ValueError``) for unreadable tables.
    """
    table = load_metrics(metrics)
    params_seen: dict[str, None] = {}
    for row in table.values():
        params_seen.update(dict.fromkeys(row))
    params = list(params_seen)
    recovery_metric = "NRMSE" if "NRMSE" in table else ("RMSE" if "RMSE" in table else None)

    def get(metric: str, p: str) -> float | None:
        return _meaningful(metric, table.get(metric, {}).get(p))

    required = ["Calibration Error", "Log Gamma", recovery_metric or "NRMSE", "Posterior Contraction"]

    per_param: dict[str, Any] = {}
    for p in params:
        ece, lg = get("Calibration Error", p), get("Log Gamma", p)
        calibration = _rate_calibration(ece, lg)
        recovery = _rate_recovery(get("NRMSE", p))
        dispersion = _dispersion(get(Z_SD, p))
        contraction = _rate_contraction(get("Posterior Contraction", p), calibration, dispersion)
        cal_text = f"{calibration} calibration" if calibration else "calibration not available"
        if calibration in ("fair", "poor") and dispersion == "overconfident":
            cal_text += " (posterior too narrow: overconfident)"
        elif calibration in ("fair", "poor") and dispersion == UNDERCONFIDENT:
            cal_text += " (posterior too wide: underconfident)"
        elif calibration == "poor" and dispersion is None:
            cal_text += " (direction unknown: no posterior z-scores)"
        parts = [cal_text]
        if recovery:
            parts.append(f"{recovery} recovery")
        elif recovery_metric == "RMSE" and get("RMSE", p) is not None:
            parts.append("recovery not rated (unnormalised RMSE)")
        else:
            parts.append("recovery not available")
        if contraction == OVERCONFIDENT:
            parts.append("high contraction but poorly calibrated (overconfident)")
        elif contraction:
            parts.append(f"{contraction} contraction")
        else:
            parts.append("contraction not available")
        missing = [m for m in required if get(m, p) is None]
        if missing:
            parts.append(f"{_join_names(missing)} missing or not finite")
        per_param[p] = {
            "missing_metrics": missing,
            "calibration": calibration,
            "dispersion": dispersion,
            "recovery": recovery,
            "contraction": contraction,
            "summary": "; ".join(parts),
            "metrics": {m: table[m].get(p) for m in table if p in table[m]},
        }

    def having(key: str, *values: str) -> list[str]:
        return [p for p in params if per_param[p][key] in values]

    poor_cal = having("calibration", "poor")
    fair_cal = having("calibration", "fair")
    poor_rec = having("recovery", "poor")
    fair_rec = having("recovery", "fair")
    miscal = set(poor_cal) | set(fair_cal)
    overconf = [p for p in params if p in miscal and per_param[p]["dispersion"] == "overconfident"]
    underconf_poor = [p for p in poor_cal if per_param[p]["dispersion"] == UNDERCONFIDENT]
    underconf_fair = [p for p in fair_cal if per_param[p]["dispersion"] == UNDERCONFIDENT]
    low_con = having("contraction", "low")

    problems: list[str] = []
    incomplete = [p for p in params if per_param[p]["missing_metrics"]]
    if incomplete:
        problems.append(f"metrics are missing or not finite for {_join_names(incomplete)}, so they cannot be judged")
    if poor_cal:
        problems.append(f"calibration is poor for {_join_names(poor_cal)}")
    if overconf:
        problems.append(f"the posterior is overconfident (too narrow) for {_join_names(overconf)}")
    if underconf_poor:
        problems.append(f"the posterior is underconfident (too wide) for {_join_names(underconf_poor)}")
    if poor_rec:
        problems.append(f"recovery is poor for {_join_names(poor_rec)}")
    notes: list[str] = []
    if fair_cal:
        notes.append(f"calibration is only fair for {_join_names(fair_cal)}")
    if underconf_fair:
        notes.append(f"the posterior is somewhat too wide (underconfident) for {_join_names(underconf_fair)}")
    if fair_rec:
        notes.append(f"recovery is only fair for {_join_names(fair_rec)}")
    if low_con:
        notes.append(f"the data inform {_join_names(low_con)} only weakly (low contraction)")

    if problems:
        head = "Not ready for real data: " + "; ".join(problems) + "."
    elif notes:
        head = "Usable with care: calibration is acceptable for every parameter, but " + "; ".join(notes) + "."
    else:
        head = "Healthy: every parameter is well calibrated and recovered."
    if problems and notes:
        head += " Also: " + "; ".join(notes) + "."

    report = {
        "parameters": per_param,
        "summary": {p: per_param[p]["summary"] for p in params},
        "recovery_metric": recovery_metric,
        "metrics_available": sorted(table),
        "overall": {
            "ok": not problems,
            "summary": head,
            "problems": problems,
            "notes": notes,
        },
    }
    return json_safe(report)


def z_score_sd_row(
    samples: Mapping[str, Any], targets: Mapping[str, Any], variable_keys: Sequence[str]
) -> dict[str, float]:
    """Standard deviation over the test sets of BayesFlow's posterior z-scores, per parameter.

    ``bf.diagnostics.metrics.posterior_z_score(..., aggregation=None)`` gives the z-scores
    ``(posterior mean - truth) / posterior sd`` per test set; their spread tells the direction of a
    miscalibration (above 1: too narrow, below 1: too wide). Add the result to the metrics table as
    the row :data:`Z_SD` (``metrics.loc[Z_SD] = pd.Series(row)``). Needs bayesflow and numpy.
    """
    bf = require("bayesflow", "z_score_sd_row")
    np = require("numpy", "z_score_sd_row")
    z = bf.diagnostics.metrics.posterior_z_score(
        estimates=samples, targets=targets, variable_keys=list(variable_keys), aggregation=None
    )
    values = np.asarray(z["values"], dtype=float)
    sds = np.nanstd(values.reshape(values.shape[0], -1), axis=0, ddof=1)
    return {str(n): float(v) for n, v in zip(z["variable_names"], sds)}


# --------------------------------------------------------------------------------------
# next steps (the guide's "When things go wrong" table)
# --------------------------------------------------------------------------------------

_STEP_NAN = (
    "Fix the NaN/infinite loss first: inspect the simulator outputs for nan/inf values and find the root cause; "
    "if outputs are very large, standardize them (standardize=\"all\") or normalize them in the simulator "
    "(e.g. divide images by 255). Every other diagnostic is meaningless until the loss is finite."
)
_STEP_NO_VAL = (
    "Re-run training with validation_data= (a held-out dict of ~300 simulations for fit_offline) so "
    "overfitting can be detected."
)
_STEP_FEW_EPOCHS = "Train for the guide's default of about 100 epochs before judging the network."
_STEP_OVERFIT = (
    "The validation loss stays worse than (or diverges from) the training loss: simulate more training data if "
    "possible, add dropout=0.1 (or 0.2) via subnet_kwargs of the inference network{summary}, "
    "then retrain and re-check the diagnostics."
)
_STEP_UNSTABLE = (
    "The training loss rises at the end of training: lower the learning rate (initial_learning_rate=1e-4 in "
    "BasicWorkflow), look for rare extreme simulator outputs and make sure the data are standardized; then retrain."
)
_STEP_UNDERTRAINED = "The loss was still decreasing: train for twice the number of epochs and re-check."
_STEP_CAL_BAD_REC_GOOD = (
    "Calibration is poor for {params} although recovery is acceptable (networks underexpressive or training too "
    "short): train for twice the number of epochs; if that does not fix it, increase the summary network to the "
    "Large configuration."
)
_STEP_CAL_BAD_REC_BAD = (
    "Calibration and recovery are both poor for {params}. Calibration comes first: train for twice the number of "
    "epochs; if calibration stays poor, increase the network capacity (Large configuration) and re-check both."
)
_STEP_RECHECK_AFTER_TRAINING = (
    "Re-run the in-silico diagnostics once training is fixed: the current ratings ({what}) describe an "
    "unfinished network, so do not change the architecture because of them yet."
)
_STEP_UNDERCONFIDENT = (
    "The posterior for {params} is wider than it should be (underconfident): its intervals are conservative, "
    "not wrong, but the network is under-fit: train for twice the number of epochs (or simulate more data), and "
    "if that does not help, increase the network capacity; do not add dropout or shrink the networks."
)
_STEP_OVERCONFIDENT = (
    "The posterior for {params} is narrow but miscalibrated (overconfident): do not trust these intervals; a "
    "wider calibrated posterior is better than a narrow miscalibrated one."
)
_STEP_REC_BAD_CAL_OK = (
    "Recovery is poor for {params} while calibration is acceptable: double the network capacity and train twice as "
    "long; if recovery does not improve, these parameters may be non-identifiable from the data (check the "
    "model, or add informative data)."
)
_STEP_FAIR = (
    "Some ratings are only fair ({what}): consider training longer or more simulations before relying on them."
)
_STEP_REAL_DATA = (
    "Diagnostics are healthy: run inference on the real data with workflow.sample(conditions=..., "
    "num_samples=...) and check the fit with posterior predictive checks that reuse the simulator's observation "
    "model. If samples on real data contain NaN/inf, compare the scale of real and simulated data, look for "
    "outliers and consider model misspecification."
)
_STEP_ONLINE = "Optionally refine with fit_online(..., validation_data=300) once offline diagnostics are healthy."
_STEP_NO_DIAG = (
    "Run the in-silico diagnostics: workflow.compute_default_diagnostics(test_data=...) and "
    "workflow.plot_default_diagnostics(test_data=...) on held-out simulations."
)


def _failed(training_report: Mapping[str, Any] | None, name: str) -> bool:
    if not training_report:
        return False
    check = training_report.get("checks", {}).get(name)
    return bool(check) and check.get("status") == "fail"


def suggest_next_steps(
    training_report: Mapping[str, Any] | None,
    diag_report: Mapping[str, Any] | None,
    *,
    has_summary_network: bool | None = None,
) -> list[str]:
    """Ordered next steps from a training report and a diagnostics report (either may be ``None``).

    ``has_summary_network`` fits the advice to the workflow (``None``: unknown).
    """
    steps: list[str] = []
    if _failed(training_report, "finite_loss"):
        return [_STEP_NAN]
    if _failed(training_report, "validation_loss"):
        steps.append(_STEP_NO_VAL)
    if _failed(training_report, "enough_epochs"):
        steps.append(_STEP_FEW_EPOCHS)
    if _failed(training_report, "stable_training"):
        steps.append(_STEP_UNSTABLE)
    if _failed(training_report, "overfitting") or _failed(training_report, "diverging_validation"):
        steps.append(_STEP_OVERFIT.format(summary=_summary_dropout(has_summary_network)))
    if _failed(training_report, "under_training"):
        steps.append(_STEP_UNDERTRAINED)

    if not diag_report:
        steps.append(_STEP_NO_DIAG)
        return steps

    params: Mapping[str, Any] = diag_report.get("parameters", {})
    unfinished = any(
        _failed(training_report, name)
        for name in ("enough_epochs", "stable_training", "under_training", "overfitting", "diverging_validation")
    )
    if unfinished:
        problems = diag_report.get("overall", {}).get("problems") or []
        what = "; ".join(problems) if problems else "they look healthy"
        steps.append(_STEP_RECHECK_AFTER_TRAINING.format(what=what))
        return steps

    bad_rec = {"poor"}

    def names(pred: Any) -> list[str]:
        return [p for p, r in params.items() if pred(r)]

    cal_bad_rec_ok = names(lambda r: r.get("calibration") == "poor" and r.get("recovery") not in bad_rec)
    cal_bad_rec_bad = names(lambda r: r.get("calibration") == "poor" and r.get("recovery") in bad_rec)
    overconf = names(
        lambda r: r.get("calibration") in ("poor", "fair") and r.get("dispersion") == "overconfident"
        or r.get("contraction") == OVERCONFIDENT
    )
    underconf = names(lambda r: r.get("calibration") in ("poor", "fair") and r.get("dispersion") == UNDERCONFIDENT)
    rec_bad_cal_ok = names(lambda r: r.get("calibration") != "poor" and r.get("recovery") in bad_rec)
    fair = names(lambda r: "fair" in (r.get("calibration"), r.get("recovery")))

    # Trust calibration first.
    if cal_bad_rec_bad:
        steps.append(_STEP_CAL_BAD_REC_BAD.format(params=_join_names(cal_bad_rec_bad)))
    cal_bad_rec_ok = [p for p in cal_bad_rec_ok if p not in underconf]
    if cal_bad_rec_ok:
        steps.append(_STEP_CAL_BAD_REC_GOOD.format(params=_join_names(cal_bad_rec_ok)))
    if underconf:
        steps.append(_STEP_UNDERCONFIDENT.format(params=_join_names(underconf)))
    if overconf:
        steps.append(_STEP_OVERCONFIDENT.format(params=_join_names(overconf)))
    if rec_bad_cal_ok:
        steps.append(_STEP_REC_BAD_CAL_OK.format(params=_join_names(rec_bad_cal_ok)))

    diag_ok = not (cal_bad_rec_bad or cal_bad_rec_ok or overconf or rec_bad_cal_ok or underconf)
    training_ok = not training_report or bool(training_report.get("overall", {}).get("ok", True))
    if diag_ok and fair:
        steps.append(_STEP_FAIR.format(what=_join_names(fair)))
    if diag_ok and training_ok:
        steps.append(_STEP_REAL_DATA)
        steps.append(_STEP_ONLINE)
    # de-duplicate, keep order
    return list(dict.fromkeys(steps))


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def build_cli_report(metrics_path: str, history_path: str | None) -> tuple[dict[str, Any], int]:
    """Shared by ``python -m`` and ``bflint check-diagnostics``; raises ``ValueError`` subclasses."""
    training_report = inspect_history(history_path) if history_path else None
    diag_report = check_diagnostics(metrics_path)
    steps = suggest_next_steps(training_report, diag_report)
    out: dict[str, Any] = {
        "parameters": {
            p: {k: v for k, v in r.items()
                if k in ("calibration", "recovery", "contraction", "dispersion", "summary", "metrics",
                         "missing_metrics")}
            for p, r in diag_report["parameters"].items()
        },
        "summary": diag_report["summary"],
        "overall": diag_report["overall"],
        "next_steps": steps,
    }
    if training_report is not None:
        out["training"] = training_report["overall"]
    ok = diag_report["overall"]["ok"] and (training_report is None or training_report["overall"]["ok"])
    return out, 0 if ok else 1


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bflint.runtime.check_diagnostics",
        description="Turn BayesFlow's default diagnostics (metrics.csv) into qualitative per-parameter ratings, "
        "a summary and suggested next steps.",
        epilog="Exit status: 0 healthy, 1 something needs attention, 2 unreadable input.",
    )
    parser.add_argument("--metrics", required=True, help="metrics.csv written by metrics.to_csv(...)")
    parser.add_argument("--history", help="optional history.json, to include training problems in the next steps")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        out, code = build_cli_report(args.metrics, args.history)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
