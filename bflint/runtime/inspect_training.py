"""Training inspector: a convergence report for a BayesFlow training history.

``inspect_history(history)`` accepts

* ``history.history`` -- the plain ``dict`` of lists that ``workflow.fit_*`` returns
  (``{"loss": [...], "val_loss": [...]}``),
* the keras ``History`` object itself (anything with a ``.history`` dict attribute),
* a path (``str`` or ``os.PathLike``) to the ``history.json`` written with
  ``json.dump(history.history, f)``,

and returns a JSON-serialisable report::

    {
      "n_epochs": 100,
      "keys": ["loss", "val_loss"],
      "checks": {
        "finite_loss":      {"status": "pass", "message": "...", "evidence": {...}},
        "validation_loss":  {...},
        "enough_epochs":    {...},
        "overfitting":      {...},
        "diverging_validation": {...},
        "under_training":   {...},
      },
      "overall": {"ok": True, "recommendation": "go", "issues": []},
    }

Each check's ``status`` is ``"pass"``, ``"fail"`` or ``"skipped"`` (it could not be
judged, e.g. no ``val_loss``); ``overall.ok`` is true when no check failed, and
``overall.issues`` lists, most urgent first, plain-language instructions.

The module needs no third-party package.  Command line::

    python -m bflint.runtime.inspect_training --history history.json

prints the report as JSON; exit status 0 when ``overall.ok``, 1 when not, 2 when the input
cannot be read.

How the checks work
-------------------
Trends are least-squares slopes over the last third of the run (at least 5 epochs) judged
against their standard error; levels compare window means (the last window against the best
one). Every difference is measured against a *scale*: the improvement made during training
(highest loss of the first window minus the best window mean), at least the spread of the loss
over the last third. Only differences of the loss are used, never its level, so every verdict
is invariant to adding a constant to both curves. Validation points recorded with
``validation_freq > 1`` are aligned to their epochs. See ``docs/runtime.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import reprlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import json_safe

__all__ = ["THRESHOLDS", "HistoryError", "inspect_history", "load_history", "main"]

#: Every threshold the inspector uses (documented, with their meaning, in ``docs/runtime.md``).
THRESHOLDS: dict[str, float] = {
    "min_epochs": 6,
    "tail_window": 5,
    "tail_window_max": 20,
    "noise_z": 2.5,
    "noise_z_best": 3.5,
    "overfit_ratio": 1.1,
    "under_training_rel_drop": 0.025,
    "diverging_rel_rise": 0.025,
    "trend_fraction": 1 / 3,
    "trend_min_epochs": 5,
    "diverging_rel_above_best": 0.10,
}

_TINY = 1e-12

#: A history.json larger than this is not a training history (100k epochs take ~5 MB).
MAX_HISTORY_BYTES = 64_000_000
#: Loss values beyond this magnitude count as non-finite: the window statistics square and sum
#: them, which overflows to inf (and then NaN) near 1e154.
OVERFLOW_LIMIT = 1e150


class HistoryError(ValueError):
    """The history is unreadable or not shaped like ``history.history``."""


# --------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------


def load_history(path: str | os.PathLike[str]) -> dict[str, list[float]]:
    """Read a ``history.json`` file and validate it (raises :class:`HistoryError`)."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_HISTORY_BYTES + 1)
    except OSError as exc:
        raise HistoryError(f"cannot read history file {name!r}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_HISTORY_BYTES:
        raise HistoryError(f"{name!r} is larger than {MAX_HISTORY_BYTES // 1_000_000} MB; not a training history")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HistoryError(
            f"{name!r} is not UTF-8 text (byte {exc.start}); json.dump(history.history, f) writes UTF-8 JSON"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HistoryError(
            f"{name!r} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "expected the dict written by json.dump(history.history, f)"
        ) from None
    except RecursionError:
        raise HistoryError(
            f"{name!r} is too deeply nested to be a training history; expected the flat dict of lists "
            "written by json.dump(history.history, f)"
        ) from None
    except ValueError as exc:  # an integer literal with more digits than int() converts (sys.int_info)
        raise HistoryError(f"{name!r} holds a number with too many digits to read ({exc})") from None
    return _validate(data, source=repr(name))


def _to_float(value: Any, key: str, index: int) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise HistoryError(f"history[{key!r}][{index}] is a bool, expected a number")
    try:
        x = float(value)
    except OverflowError:
        raise HistoryError(
            f"history[{key!r}][{index}] is an integer too large for a float; not a loss value"
        ) from None
    except (TypeError, ValueError) as exc:
        shown = reprlib.repr(value)  # bounded: the value may be a deeply nested list
        raise HistoryError(f"history[{key!r}][{index}] = {shown} is not a number") from exc
    # A loss this large is a numerical blow-up, and squaring or summing it overflows to inf
    # (then NaN, whose comparisons all pass): treat it as non-finite.
    return x if abs(x) <= OVERFLOW_LIMIT else math.inf if x > 0 else -math.inf


def _validate(data: Any, source: str = "history") -> dict[str, list[float]]:
    if not isinstance(data, Mapping):
        raise HistoryError(
            f"{source} is a {type(data).__name__}, expected a dict of lists such as "
            '{"loss": [...], "val_loss": [...]} (history.history from workflow.fit_*)'
        )
    if "loss" not in data:
        keys = ", ".join(repr(k) for k in data) or "none"
        raise HistoryError(f"{source} has no 'loss' key (keys: {keys}); expected history.history from workflow.fit_*")
    out: dict[str, list[float]] = {}
    for key, values in data.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            if key in ("loss", "val_loss"):
                raise HistoryError(f"history[{key!r}] is a {type(values).__name__}, expected a list of numbers")
            continue  # unrelated scalar entries are ignored
        try:
            seq = list(values)
        except TypeError as exc:  # pragma: no cover - defensive
            raise HistoryError(f"history[{key!r}] is not a list of numbers") from exc
        try:
            out[str(key)] = [_to_float(v, str(key), i) for i, v in enumerate(seq)]
        except HistoryError:
            if key in ("loss", "val_loss"):
                raise
    return out


def _coerce(history: Any) -> tuple[dict[str, list[float]], str]:
    if isinstance(history, (str, os.PathLike)):
        return load_history(history), os.fspath(history)
    if isinstance(history, Mapping):
        return _validate(history), "history dict"
    inner = getattr(history, "history", None)
    if isinstance(inner, Mapping):
        return _validate(inner, source=f"{type(history).__name__}.history"), f"{type(history).__name__}.history"
    raise HistoryError(
        f"cannot inspect a {type(history).__name__}; pass history.history (a dict of lists), "
        "the keras History returned by workflow.fit_*, or a path to history.json"
    )


# --------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _check(status: str, message: str, **evidence: Any) -> dict[str, Any]:
    return {"status": status, "message": message, "evidence": evidence}


def _windows(xs: Sequence[float], w: int) -> tuple[list[float], list[float]]:
    return list(xs[-2 * w : -w]), list(xs[-w:])


def _var(xs: Sequence[float]) -> float:
    if len(xs) < 2:
        return 0.0
    m = _mean(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def _se_diff(a: Sequence[float], b: Sequence[float]) -> float:
    """Standard error of ``mean(a) - mean(b)`` from the scatter inside each window."""
    return math.sqrt(_var(a) / len(a) + _var(b) / len(b))


def _slope(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares slope of ``ys`` on ``xs``, its standard error, and the residual standard deviation."""
    n = len(xs)
    if n < 3:
        return 0.0, math.inf, 0.0
    mx, my = _mean(xs), _mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return 0.0, math.inf, 0.0
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    rss = sum((y - my - b * (x - mx)) ** 2 for x, y in zip(xs, ys))
    sd = math.sqrt(rss / (n - 2))
    return b, sd / math.sqrt(sxx), sd


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 and math.isfinite(b) else None


def _trend_length(n: int) -> int:
    """Epochs of the trend window: the last third of the run, at least ``trend_min_epochs``."""
    t = THRESHOLDS
    return min(n, max(int(t["trend_min_epochs"]), math.ceil(n * t["trend_fraction"])))


def _val_epochs(n: int, m: int) -> list[int] | None:
    """0-based epoch of each of ``m`` validation points in an ``n``-epoch run (``None``: cannot align).

    keras validates after epochs ``f, 2f, ...`` with ``validation_freq=f``.
    """
    if m == n:
        return list(range(n))
    if 0 < m < n:
        f = n // m
        if n // f == m:
            return [(i + 1) * f - 1 for i in range(m)]
    return None


def _val_every(epochs: Sequence[int]) -> int:
    return epochs[1] - epochs[0] if len(epochs) > 1 else 1


def _summary_dropout(has_summary_network: bool | None) -> str:
    if has_summary_network is None:
        return " (and to the summary network, if the workflow has one)"
    return " and to the summary network" if has_summary_network else ""


def _window_size(n: int) -> int:
    t = THRESHOLDS
    w = min(max(n // 10, int(t["tail_window"])), int(t["tail_window_max"]))
    return max(1, min(w, n // 2))


def inspect_history(history: Any, *, has_summary_network: bool | None = None) -> dict[str, Any]:
    """Return a JSON-serialisable convergence report for a training history.

    ``has_summary_network`` (what the script knows) fits the advice to the workflow: dropout for
    the summary network is suggested only when there is one (``None``: unknown).

    Raises :class:`HistoryError` (a ``ValueError``) when the input is not a history.
    """
    data, source = _coerce(history)
    loss = data["loss"]
    val = data.get("val_loss")
    n = len(loss)
    t = THRESHOLDS
    checks: dict[str, dict[str, Any]] = {}
    issues: list[str] = []

    # 1. finite losses --------------------------------------------------------------
    bad = {}
    for key, series in (("loss", loss), ("val_loss", val or [])):
        idx = [i for i, v in enumerate(series) if not math.isfinite(v)]
        if idx:
            bad[key] = {"first_bad_epoch": idx[0] + 1, "n_bad_epochs": len(idx)}
    if bad:
        checks["finite_loss"] = _check(
            "fail", "the loss contains NaN, infinite or overflowing values", non_finite=bad
        )
        issues.append(
            "The loss became NaN or infinite. Inspect the simulator outputs for nan/inf values and find the "
            "root cause; if they contain very large values, make sure the workflow standardizes them "
            '(standardize="all") or that the simulator normalizes its outputs. Do not use this network.'
        )
    else:
        checks["finite_loss"] = _check("pass", "all losses are finite")

    # 2. validation loss present -------------------------------------------------------
    if val is None or len(val) == 0:
        checks["validation_loss"] = _check(
            "fail", "no val_loss recorded: training ran without validation_data", keys=sorted(data)
        )
        issues.append(
            "No validation loss was recorded. Pass validation_data= to the fit_* call (a held-out dict of "
            "~300 simulations for fit_offline, or an integer such as 300 for fit_online) so overfitting "
            "can be detected."
        )
    else:
        checks["validation_loss"] = _check("pass", "val_loss recorded", n_val_epochs=len(val))

    # 3. enough epochs ---------------------------------------------------------------
    min_epochs = int(t["min_epochs"])
    if n < min_epochs:
        checks["enough_epochs"] = _check(
            "fail",
            f"only {n} epoch(s) recorded: too few to judge convergence",
            n_epochs=n,
            min_epochs=min_epochs,
        )
        issues.append(
            f"Training ran for only {n} epoch(s), too few to judge convergence. Train for the guide's "
            "default of about 100 epochs before trusting the network."
        )
    else:
        checks["enough_epochs"] = _check("pass", f"{n} epochs recorded", n_epochs=n, min_epochs=min_epochs)

    # Trend checks need finite data and enough epochs.
    can_judge = not bad and n >= min_epochs
    w = _window_size(n)
    k = _trend_length(n)
    z = t["noise_z"]
    val_epochs = _val_epochs(n, len(val)) if val else None
    skipped_reason = "skipped: losses are not finite" if bad else "skipped: too few epochs to judge trends"
    if not can_judge:
        for name in ("stable_training", "overfitting", "diverging_validation", "under_training"):
            checks[name] = _check("skipped", skipped_reason)
    else:
        tail_x = list(range(n - k, n))
        slope, slope_se, loss_sd = _slope(tail_x, loss[n - k :])
        # Window means of the training loss, aligned to the end of the run.
        starts = list(range(n - w, -1, -w))
        loss_means = [_mean(loss[i : i + w]) for i in starts]
        mean_last = loss_means[0]
        mean_prev = loss_means[1] if len(loss_means) > 1 else mean_last
        best_loss_mean = min(loss_means)
        improvement = max(loss[:w]) - best_loss_mean
        spread = max(loss[n - k :]) - min(loss[n - k :])
        # The yardstick: how much training improved the loss (and at least the spread of the last third).
        # It uses differences of the loss only, never its level, so every verdict is the same when a
        # constant is added to both curves (a negative log-likelihood's offset is arbitrary).
        scale = max(improvement, spread, _TINY)
        drop_tail = -slope * k  # > 0: the training loss still falls over the last third
        loss_falling = -slope > z * slope_se and drop_tail > t["under_training_rel_drop"] * scale
        loss_rising = slope > z * slope_se and -drop_tail > t["under_training_rel_drop"] * scale
        above_best = mean_last - best_loss_mean
        above_best_se = loss_sd * math.sqrt(2.0 / w)
        loss_above_best = (
            above_best > t["diverging_rel_above_best"] * scale and above_best > t["noise_z_best"] * above_best_se
        )
        common = {
            "window": w,
            "trend_epochs": k,
            "scale": scale,
            "mean_loss_last": mean_last,
            "mean_loss_previous": mean_prev,
            "loss_slope_per_epoch": slope,
            "loss_slope_z": _ratio(slope, slope_se),
            "relative_loss_drop": drop_tail / scale,
        }

        # 4. stable training loss ---------------------------------------------------------
        ev = dict(common, best_window_mean_loss=best_loss_mean, relative_above_best=above_best / scale,
                  max_relative_rise=t["under_training_rel_drop"], max_relative_above_best=t["diverging_rel_above_best"])
        if loss_rising or loss_above_best:
            checks["stable_training"] = _check(
                "fail", "the training loss rises (or has risen well above its best) at the end of training", **ev
            )
            issues.append(
                "The training loss rises at the end of training (unstable optimisation). Lower the learning rate "
                "(e.g. initial_learning_rate=1e-4 in BasicWorkflow), check the simulator for rare extreme outputs "
                "and that the data are standardized, then retrain."
            )
        else:
            checks["stable_training"] = _check("pass", "the training loss does not rise", **ev)

        val_diverging = False
        if val_epochs is None or len(val or []) < 3:
            reason = (
                "skipped: no (or too short a) val_loss"
                if val_epochs is not None or not val
                else f"skipped: {len(val or [])} val_loss values cannot be aligned to {n} epochs"
            )
            checks["overfitting"] = _check("skipped", reason)
            checks["diverging_validation"] = _check("skipped", reason)
        else:
            assert val is not None
            # Validation points are aligned to their epochs (validation_freq > 1 records fewer of them).
            tail_idx = [j for j, e in enumerate(val_epochs) if e >= n - k]
            if len(tail_idx) < 3:
                tail_idx = list(range(len(val) - 3, len(val)))
            # 5. overfitting: the paired gap val_loss - loss over the last third ------------------
            gaps = [val[j] - loss[val_epochs[j]] for j in tail_idx]
            gap = _mean(gaps)
            gap_se = math.sqrt(_var(gaps) / len(gaps))
            val_tail = [val[j] for j in tail_idx]
            loss_at_val = [loss[val_epochs[j]] for j in tail_idx]
            mv, ml = _mean(val_tail), _mean(loss_at_val)
            ratio = mv / ml if ml > _TINY and mv > 0 else None
            limit = t["overfit_ratio"] - 1.0
            ev = dict(common, mean_val_loss_last=mv, relative_gap=gap / scale, ratio=ratio,
                      relative_gap_noise=gap_se / scale, max_relative_gap=limit, n_val_points=len(tail_idx),
                      validation_every=_val_every(val_epochs))
            overfit = gap > limit * scale and gap > z * gap_se
            if overfit:
                checks["overfitting"] = _check(
                    "fail", "validation loss is clearly above the training loss over the last epochs", **ev
                )
                issues.append(
                    "The validation loss stays clearly above the training loss (overfitting). Simulate more "
                    "training data if possible, add dropout=0.1 (or 0.2) via subnet_kwargs of the inference "
                    f"network{_summary_dropout(has_summary_network)}, then retrain and re-check the diagnostics."
                )
            else:
                checks["overfitting"] = _check("pass", "validation loss is close to the training loss", **ev)

            # 6. diverging validation loss ----------------------------------------------------
            vx = [float(val_epochs[j]) for j in tail_idx]
            vslope, vslope_se, val_sd = _slope(vx, val_tail)
            span = max(vx) - min(vx) + 1
            rise = vslope * span
            val_rising = vslope > z * vslope_se and rise > t["diverging_rel_rise"] * scale
            groups: dict[int, list[float]] = {}
            for j, e in enumerate(val_epochs):
                groups.setdefault((n - 1 - e) // w, []).append(val[j])
            last_group = groups.get(0) or [val[-1]]
            best_g = min(groups, key=lambda g: _mean(groups[g]))
            best_vals = groups[best_g]
            above_abs = _mean(last_group) - _mean(best_vals)
            noise = val_sd if len(tail_idx) >= 4 and val_sd > 0 else math.sqrt(max(_var(val_tail), 0.0))
            above_noise = noise * math.sqrt(1.0 / len(last_group) + 1.0 / len(best_vals))
            best_first = n - (best_g + 1) * w
            loss_then = _mean(loss[max(best_first, 0) : n - best_g * w])
            risen_from_best = (
                above_abs > t["diverging_rel_above_best"] * scale
                and above_abs > t["noise_z_best"] * above_noise
                and mean_last < loss_then
            )
            best_val = min(val)
            ev = dict(common, mean_val_loss_last=_mean(last_group), best_val_loss=best_val,
                      best_val_epoch=val_epochs[val.index(best_val)] + 1,
                      best_window_first_epoch=max(best_first, 0) + 1, best_window_mean_val_loss=_mean(best_vals),
                      val_slope_per_epoch=vslope, val_slope_z=_ratio(vslope, vslope_se),
                      relative_val_rise=rise / scale, relative_above_best=above_abs / scale,
                      max_relative_val_rise=t["diverging_rel_rise"],
                      max_relative_above_best=t["diverging_rel_above_best"])
            val_diverging = (val_rising and not loss_rising) or risen_from_best
            if val_diverging:
                checks["diverging_validation"] = _check(
                    "fail", "validation loss rises over the last epochs while the training loss falls", **ev
                )
                issues.append(
                    "The validation loss is rising while the training loss keeps falling (the network starts "
                    "to memorise the training set). Simulate more data (a larger offline budget), add "
                    "dropout=0.1 or 0.2, or keep the checkpoint with the best validation loss; then retrain."
                )
            else:
                checks["diverging_validation"] = _check("pass", "validation loss is not diverging", **ev)

        # 7. under-training ---------------------------------------------------------------
        ev = dict(common, max_relative_drop=t["under_training_rel_drop"])
        if loss_falling and not val_diverging:
            checks["under_training"] = _check(
                "fail", "the training loss is still decreasing at the end of training", **ev
            )
            issues.append(
                "The loss was still decreasing at the end of training (under-trained). Train for more epochs "
                "(e.g. twice as many) and re-check the diagnostics."
            )
        else:
            checks["under_training"] = _check("pass", "the training loss has levelled off", **ev)

    ok = all(c["status"] != "fail" for c in checks.values())
    report = {
        "source": source,
        "n_epochs": n,
        "keys": sorted(data),
        "final": {"loss": loss[-1] if loss else None, "val_loss": val[-1] if val else None},
        "checks": checks,
        "overall": {"ok": ok, "recommendation": "go" if ok else "no-go", "issues": issues},
    }
    return json_safe(report)


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bflint.runtime.inspect_training",
        description="Check a BayesFlow training history (history.json) for NaN losses, overfitting, "
        "diverging validation loss and under-training.",
        epilog="Exit status: 0 training looks healthy, 1 issues found, 2 unreadable input.",
    )
    parser.add_argument("--history", required=True, help="path to history.json (json.dump(history.history, f))")
    args = parser.parse_args(argv)
    try:
        report = inspect_history(args.history)
    except HistoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 0 if report["overall"]["ok"] else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
