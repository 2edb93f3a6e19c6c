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
All trend checks compare *means over windows* of the last epochs rather than single
values, so one noisy epoch does not flip a verdict.  With ``W = TAIL_WINDOW`` epochs
(shrunk for short runs), the "last" window is the final ``W`` epochs and the "previous"
window the ``W`` epochs before it.  Differences are divided by a *scale*: the larger of
``|mean training loss over the last window|`` and the spread (max - min) of the training
loss over the last two windows.  The spread term keeps the checks meaningful for losses
that are negative or close to zero (negative log-likelihoods of normalising flows).
For positive losses, ``OVERFIT_RATIO`` is exactly the guide's ``val_loss > 1.1 x loss``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import reprlib
import sys
from typing import Any, Mapping, Sequence

from ._common import json_safe

__all__ = ["THRESHOLDS", "HistoryError", "inspect_history", "load_history", "main"]

#: Every threshold the inspector uses (documented in ``docs/runtime.md``).
#:
#: ============================  ======  =================================================
#: key                           value   meaning
#: ============================  ======  =================================================
#: ``min_epochs``                6       fewer epochs: too short to judge any trend
#: ``tail_window``               5       smallest window (epochs); the window is
#:                                       ``n_epochs // 10`` clamped to [5, 20], and at
#:                                       most ``n_epochs // 2`` for short runs
#: ``tail_window_max``           20      largest window
#: ``noise_z``                   2.5     a difference between window means counts only if
#:                                       it exceeds ``noise_z`` standard errors (estimated
#:                                       from the epoch-to-epoch scatter inside the windows)
#: ``noise_z_best``              3.5     the same margin against the *best* validation
#:                                       window (larger: the minimum of noisy means is low)
#: ``overfit_ratio``             1.1     overfitting when mean(val) over the last window
#:                                       exceeds mean(loss) by more than 10 % of the scale
#: ``under_training_rel_drop``   0.02    under-training when the training loss fell by
#:                                       more than 2 % of the scale from the previous to
#:                                       the last window (and val_loss is not rising)
#: ``diverging_rel_rise``        0.02    diverging when the mean val_loss rose by more
#:                                       than 2 % of the scale from the previous to the
#:                                       last window while the training loss did not rise
#: ``diverging_rel_above_best``  0.10    ... or when the last window's mean val_loss is
#:                                       more than 10 % of the scale above its best window
#:                                       while the training loss fell since that window
#: ``nll_improvement_fraction``  0.5     for losses that reach zero or below (NLLs, whose
#:                                       offset is arbitrary) the scale is at least this
#:                                       fraction of the improvement since the start
#:                                       (highest loss of the first window), and the
#:                                       loss level itself is not used
#: ============================  ======  =================================================
THRESHOLDS: dict[str, float] = {
    "min_epochs": 6,
    "tail_window": 5,
    "tail_window_max": 20,
    "noise_z": 2.5,
    "noise_z_best": 3.5,
    "overfit_ratio": 1.1,
    "under_training_rel_drop": 0.02,
    "diverging_rel_rise": 0.02,
    "diverging_rel_above_best": 0.10,
    "nll_improvement_fraction": 0.5,
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


def _window_size(n: int) -> int:
    t = THRESHOLDS
    w = min(max(n // 10, int(t["tail_window"])), int(t["tail_window_max"]))
    return max(1, min(w, n // 2))


def inspect_history(history: Any) -> dict[str, Any]:
    """Return a JSON-serialisable convergence report for a training history.

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
    z = t["noise_z"]
    have_val = bool(val) and len(val) >= 2 * w
    skipped_reason = "skipped: losses are not finite" if bad else "skipped: too few epochs to judge trends"
    if not can_judge:
        for name in ("overfitting", "diverging_validation", "under_training"):
            checks[name] = _check("skipped", skipped_reason)
    else:
        prev_loss, last_loss = _windows(loss, w)
        mean_last = _mean(last_loss)
        mean_prev = _mean(prev_loss)
        spread = max(loss[-2 * w :]) - min(loss[-2 * w :])
        scale = max(abs(mean_last), spread, _TINY)
        if min(loss) <= 0:
            # A loss that reaches zero or below (a negative log-likelihood) has an arbitrary offset,
            # so its level says nothing about the size of a gap: also use part of the improvement
            # made during training as the yardstick.
            # Its level is then ignored, which makes the verdicts invariant to shifting the loss.
            improvement = max(loss[:w]) - mean_last
            scale = max(spread, t["nll_improvement_fraction"] * improvement, _TINY)
        drop_abs = mean_prev - mean_last  # > 0: training loss still falling
        loss_noise = _se_diff(prev_loss, last_loss)
        loss_drop = drop_abs / scale
        loss_falling = drop_abs > t["under_training_rel_drop"] * scale and drop_abs > z * loss_noise
        loss_rising = -drop_abs > z * loss_noise and -drop_abs > t["under_training_rel_drop"] * scale
        common = {
            "window": w,
            "scale": scale,
            "mean_loss_last": mean_last,
            "mean_loss_previous": mean_prev,
            "relative_loss_drop": loss_drop,
            "relative_loss_noise": loss_noise / scale,
        }

        val_rising = False
        if not have_val:
            checks["overfitting"] = _check("skipped", "skipped: no (or too short a) val_loss")
            checks["diverging_validation"] = _check("skipped", "skipped: no (or too short a) val_loss")
        else:
            assert val is not None
            # 4. overfitting ----------------------------------------------------------------
            prev_val, last_val = _windows(val, w)
            mean_val_last = _mean(last_val)
            mean_val_prev = _mean(prev_val)
            gap_abs = mean_val_last - mean_last
            gap = gap_abs / scale
            gap_noise = _se_diff(last_val, last_loss)
            ratio = mean_val_last / mean_last if mean_last > _TINY and mean_val_last > 0 else None
            limit = t["overfit_ratio"] - 1.0
            ev = dict(common, mean_val_loss_last=mean_val_last, relative_gap=gap, ratio=ratio,
                      relative_gap_noise=gap_noise / scale, max_relative_gap=limit)
            if gap > limit and gap_abs > z * gap_noise:
                checks["overfitting"] = _check(
                    "fail", "validation loss is clearly above the training loss over the last epochs", **ev
                )
                issues.append(
                    "The validation loss stays clearly above the training loss (overfitting). Simulate more "
                    "training data if possible, add dropout=0.1 (or 0.2) via subnet_kwargs of the inference "
                    "network and to the summary network, then retrain and re-check the diagnostics."
                )
            else:
                checks["overfitting"] = _check("pass", "validation loss is close to the training loss", **ev)

            # 5. diverging validation loss --------------------------------------------------
            rise_abs = mean_val_last - mean_val_prev
            rise_noise = _se_diff(prev_val, last_val)
            val_rising = rise_abs > t["diverging_rel_rise"] * scale and rise_abs > z * rise_noise
            # best window of the validation loss: non-overlapping windows of w epochs, aligned to
            # the end. Picking the minimum of several noisy means biases it low, hence the larger
            # noise margin (noise_z_best) for this comparison.
            starts = list(range(len(val) - w, -1, -w))
            means = [_mean(val[i : i + w]) for i in starts]
            best_k = min(range(len(means)), key=means.__getitem__)
            best_i = starts[best_k]
            above_abs = mean_val_last - means[best_k]
            above_noise = _se_diff(val[best_i : best_i + w], last_val)
            loss_then = _mean(loss[best_i : best_i + w]) if best_i + w <= len(loss) else mean_last
            risen_from_best = (
                above_abs > t["diverging_rel_above_best"] * scale
                and above_abs > t["noise_z_best"] * above_noise
                and mean_last < loss_then
            )
            best_val = min(val)
            ev = dict(common, mean_val_loss_last=mean_val_last, mean_val_loss_previous=mean_val_prev,
                      best_val_loss=best_val, best_val_epoch=val.index(best_val) + 1,
                      best_window_first_epoch=best_i + 1, best_window_mean_val_loss=means[best_k],
                      relative_val_rise=rise_abs / scale, relative_val_rise_noise=rise_noise / scale,
                      relative_above_best=above_abs / scale,
                      max_relative_val_rise=t["diverging_rel_rise"],
                      max_relative_above_best=t["diverging_rel_above_best"])
            if (val_rising and not loss_rising) or risen_from_best:
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

        # 6. under-training --------------------------------------------------------------
        ev = dict(common, max_relative_drop=t["under_training_rel_drop"])
        if loss_falling and not val_rising:
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
