"""Simulation sanity checks before training (the guide's step 6), the runtime twin of BF103.

``check_simulations(data, observed=None, *, parameters=None, adapter=None, standardize=None,
results_dir=None)`` looks at the dict that ``workflow.simulate(N)`` returns (arrays with the
simulations on the first axis) and reports, like the other judges::

    {
      "n_simulations": 20300,
      "keys": {"mu": {"shape": [20300, 1], "min": ..., "max": ..., "mean": ..., "sd": ...}, ...},
      "checks": {
        "finite":       {"status": "pass", "message": "...", "evidence": {...}},
        "degenerate":   {...},   # constant keys, or keys with no variation across simulations
        "scale":        {...},   # scales that need standardize (and the workflow does not)
        "bounds":       {...},   # parameters with every draw on one side of a bound, no .constrain
        "observed":     {...},   # observed data outside the simulated range (skipped without it)
      },
      "overall": {"ok": True, "issues": [...], "notes": [...]},
    }

``parameters``: the parameter keys (the rest is data); ``adapter``: the ``bf.Adapter`` the
workflow uses (its ``.constrain`` keys are read from its transforms; nothing is executed);
``standardize``: the workflow's ``standardize=`` argument. With ``results_dir`` the
prior-predictive figure ``prior_predictive.png`` is written (histograms of every data key over
the simulations, the observed data as a line).

Needs numpy (and matplotlib for the figure); never imports bayesflow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import json_safe, require

__all__ = ["THRESHOLDS", "check_simulations", "adapter_constrained_keys"]

#: Thresholds of the simulation checks (internal).
THRESHOLDS: dict[str, float] = {
    # a key whose typical magnitude (mean |x|, or its sd) is beyond these needs standardizing
    "scale_large": 1e3,
    "scale_small": 1e-3,
    # a parameter counts as bounded on one side when every draw is on that side of 0 (or of 0/1)
    # and at least this many draws were made
    "bounds_min_draws": 50,
}


def _check(status: str, message: str, **evidence: Any) -> dict[str, Any]:
    return {"status": status, "message": message, "evidence": evidence}


def adapter_constrained_keys(adapter: Any) -> set[str]:
    """Keys an adapter constrains (``.constrain(...)``), read from its transforms (best effort)."""
    keys: set[str] = set()
    for t in getattr(adapter, "transforms", None) or []:
        mapping = getattr(t, "transform_map", None)
        if isinstance(mapping, Mapping):
            for key, inner in mapping.items():
                if type(inner).__name__ == "Constrain":
                    keys.add(str(key))
    return keys


def _standardizes(standardize: Any, which: str) -> bool:
    if standardize == "all":
        return True
    if isinstance(standardize, str):
        return standardize == which
    if isinstance(standardize, Sequence):
        return which in standardize
    return False


def check_simulations(
    data: Mapping[str, Any],
    observed: Mapping[str, Any] | None = None,
    *,
    parameters: Sequence[str] | None = None,
    adapter: Any = None,
    standardize: Any = None,
    results_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Sanity-check simulations before training (see the module docstring)."""
    np = require("numpy", "check_simulations")
    if not isinstance(data, Mapping) or not data:
        raise ValueError("check_simulations expects the non-empty dict returned by workflow.simulate(N)")
    params = [str(p) for p in (parameters or [])]
    arrays: dict[str, Any] = {}
    for key, value in data.items():
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            continue  # non-numeric entries are not simulations
        if arr.ndim == 0:
            continue
        arrays[str(key)] = arr
    if not arrays:
        raise ValueError("check_simulations: no numeric arrays in the simulations")
    n = max(a.shape[0] for a in arrays.values())
    t = THRESHOLDS
    checks: dict[str, dict[str, Any]] = {}
    issues: list[str] = []
    notes: list[str] = []

    stats: dict[str, dict[str, Any]] = {}
    bad: dict[str, int] = {}
    for key, arr in arrays.items():
        finite = np.isfinite(arr)
        if not finite.all():
            bad[key] = int(arr.size - finite.sum())
        vals = arr[finite]
        stats[key] = {
            "shape": list(arr.shape),
            "min": float(vals.min()) if vals.size else math.nan,
            "max": float(vals.max()) if vals.size else math.nan,
            "mean": float(vals.mean()) if vals.size else math.nan,
            "sd": float(vals.std()) if vals.size else math.nan,
        }

    # 1. finite -------------------------------------------------------------------------
    if bad:
        names = ", ".join(f"{k} ({v} values)" for k, v in bad.items())
        checks["finite"] = _check("fail", f"NaN or infinite simulations in {names}", non_finite=bad)
        issues.append(
            f"The simulations contain NaN or infinite values ({names}). Find the root cause in the simulator "
            "(a division by zero, an overflow, an invalid parameter region) before training: a single NaN "
            "makes the loss NaN."
        )
    else:
        checks["finite"] = _check("pass", "all simulations are finite")

    # 2. degenerate ---------------------------------------------------------------------
    constant = []
    no_variation = []
    for key, arr in arrays.items():
        s = stats[key]
        if not math.isfinite(s["min"]):
            continue
        if s["min"] == s["max"]:
            constant.append(key)
        elif arr.shape[0] > 1:
            masked = np.where(np.isfinite(arr), arr, np.nan)
            spread = np.nanmax(masked, axis=0) - np.nanmin(masked, axis=0)
            if np.all(spread == 0):
                no_variation.append(key)  # varies within a data set, identical across simulations
    if constant or no_variation:
        parts = []
        if constant:
            parts.append(f"constant: {', '.join(constant)}")
        if no_variation:
            parts.append(f"identical in every simulation: {', '.join(no_variation)}")
        checks["degenerate"] = _check("fail", "degenerate keys (" + "; ".join(parts) + ")",
                                      constant=constant, identical_across_simulations=no_variation)
        which = constant + no_variation
        if any(k in params for k in which):
            issues.append(
                f"{', '.join(k for k in which if k in params)}: the prior gives the same value in every simulation; "
                "draw it from a proper prior (or treat it as a fixed constant, not a parameter)."
            )
        if any(k not in params for k in which):
            issues.append(
                f"{', '.join(k for k in which if k not in params)}: the simulated data do not vary across simulations "
                "(the observation model ignores the parameters, or a seed is reset inside it), so nothing can be "
                "learned."
            )
    else:
        checks["degenerate"] = _check("pass", "every key varies across simulations")

    # 3. scale ----------------------------------------------------------------------------
    off_scale = {}
    for key, s in stats.items():
        if not math.isfinite(s["sd"]) or s["min"] == s["max"]:
            continue
        magnitude = max(abs(s["mean"]), s["sd"])
        if magnitude > t["scale_large"] or magnitude < t["scale_small"]:
            off_scale[key] = magnitude
    unhandled = {
        k: v for k, v in off_scale.items()
        if not _standardizes(standardize, "inference_variables" if k in params else "summary_variables")
        and not (k not in params and _standardizes(standardize, "inference_conditions"))
    }
    if unhandled:
        names = ", ".join(sorted(unhandled))
        checks["scale"] = _check("fail", f"keys far from unit scale: {names}", typical_magnitude=unhandled)
        issues.append(
            f"{names} are far from unit scale and the workflow does not standardize them: pass "
            'standardize="all" to BasicWorkflow (or rescale them in the simulator, e.g. divide images by 255).'
        )
    else:
        checks["scale"] = _check(
            "pass", "scales are moderate, or the workflow standardizes them", typical_magnitude=off_scale
        )
        if off_scale:
            notes.append(f"{', '.join(sorted(off_scale))} are far from unit scale; standardize handles them.")

    # 4. bounds ---------------------------------------------------------------------------
    if not params:
        checks["bounds"] = _check("skipped", "skipped: the parameter keys were not given")
    else:
        constrained = adapter_constrained_keys(adapter) if adapter is not None else set()
        one_sided: dict[str, str] = {}
        for key in params:
            summary = stats.get(key)
            arr = arrays.get(key)
            if summary is None or arr is None or arr.size < t["bounds_min_draws"] or not math.isfinite(summary["min"]):
                continue
            if summary["min"] == summary["max"]:
                continue
            if summary["min"] >= 0.0 and summary["max"] <= 1.0:
                one_sided[key] = "between 0 and 1"
            elif summary["min"] >= 0.0:
                one_sided[key] = "non-negative"
            elif summary["max"] <= 0.0:
                one_sided[key] = "non-positive"
        missing = {k: v for k, v in one_sided.items() if k not in constrained}
        ev = dict(bounded_looking=one_sided, constrained=sorted(constrained), adapter_given=adapter is not None)
        if missing and adapter is not None:
            names = ", ".join(f"{k} ({v})" for k, v in missing.items())
            checks["bounds"] = _check("fail", f"parameters look bounded but are not constrained: {names}", **ev)
            issues.append(
                f"Every prior draw of {names} lies on one side of a bound, but the adapter has no .constrain for "
                "it: the network can then propose impossible values. Add e.g. .constrain(\"sigma\", lower=0) "
                "(or lower=0, upper=1) to the adapter."
            )
        elif missing:
            checks["bounds"] = _check("skipped", "skipped: no adapter given to compare with", **ev)
        else:
            checks["bounds"] = _check("pass", "bounded-looking parameters are constrained", **ev)

    # 5. observed data inside the simulated range -------------------------------------------
    obs_stats: dict[str, dict[str, float]] = {}
    if not observed:
        checks["observed"] = _check("skipped", "skipped: no observed data given")
    else:
        outside = {}
        unknown = []
        for key, value in observed.items():
            key = str(key)
            if key not in arrays:
                unknown.append(key)
                continue
            try:
                obs = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                unknown.append(key)
                continue
            sim = arrays[key]
            fin = obs[np.isfinite(obs)]
            if fin.size != obs.size:
                outside[key] = "contains NaN or infinite values"
                continue
            o = {"min": float(fin.min()), "max": float(fin.max()), "mean": float(fin.mean()), "sd": float(fin.std())}
            obs_stats[key] = o
            per_set = sim.reshape(sim.shape[0], -1)
            per_set_mean = np.nanmean(per_set, axis=1)
            per_set_sd = np.nanstd(per_set, axis=1)
            if o["min"] < stats[key]["min"] or o["max"] > stats[key]["max"]:
                outside[key] = "values outside the simulated range"
            elif per_set.shape[1] > 1 and not (per_set_mean.min() <= o["mean"] <= per_set_mean.max()):
                outside[key] = "mean outside the range of simulated data sets"
            elif per_set.shape[1] > 1 and not (per_set_sd.min() <= o["sd"] <= per_set_sd.max()):
                outside[key] = "spread outside the range of simulated data sets"
        ev = dict(observed=obs_stats, outside=outside, unknown_keys=unknown)
        if outside:
            names = "; ".join(f"{k}: {v}" for k, v in outside.items())
            checks["observed"] = _check("fail", f"observed data not covered by the simulations ({names})", **ev)
            issues.append(
                f"The observed data are not covered by the prior predictive distribution ({names}). Widen the "
                "prior or fix the observation model before training; amortized inference does not extrapolate."
            )
        elif unknown and not obs_stats:
            checks["observed"] = _check("skipped", f"skipped: observed keys {unknown} are not simulated", **ev)
        else:
            checks["observed"] = _check("pass", "observed data lie inside the simulated range", **ev)

    figure = None
    if results_dir is not None:
        figure = _prior_predictive_figure(arrays, params, observed, results_dir)

    ok = all(c["status"] != "fail" for c in checks.values())
    return json_safe({
        "n_simulations": n,
        "keys": stats,
        "checks": checks,
        "figure": figure,
        "overall": {"ok": ok, "issues": issues, "notes": notes},
    })


def _prior_predictive_figure(
    arrays: Mapping[str, Any], params: Sequence[str], observed: Mapping[str, Any] | None, results_dir: Any
) -> str | None:
    np = require("numpy", "the prior-predictive figure")
    plt = require("matplotlib.pyplot", "the prior-predictive figure")
    data_keys = [k for k in arrays if k not in params] or list(arrays)
    fig, axes = plt.subplots(1, len(data_keys), figsize=(4 * len(data_keys), 3), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, key in zip(axes[0], data_keys):
        vals = arrays[key].reshape(-1)
        vals = vals[np.isfinite(vals)]
        if vals.size > 200_000:
            vals = rng.choice(vals, 200_000, replace=False)
        if vals.size:
            ax.hist(vals, bins=50, color="#8fa8c8", edgecolor="white", density=True, label="simulated")
        if observed and key in observed:
            obs = np.asarray(observed[key], dtype=float).reshape(-1)
            obs = obs[np.isfinite(obs)]
            if obs.size:
                ax.hist(obs, bins=min(30, max(5, obs.size // 3)), histtype="step", color="black", linewidth=1.5,
                        density=True, label="observed")
        ax.set_title(f"{key}: prior predictive")
        ax.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(os.fspath(results_dir), "prior_predictive.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return "prior_predictive.png"
