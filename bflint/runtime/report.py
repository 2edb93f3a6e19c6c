"""Save BayesFlow's diagnostic figures under standard names and write ``report.md``.

``save_diagnostic_figures(figures, results_dir)`` takes the ``dict[str, Figure]`` returned by
``workflow.plot_default_diagnostics(...)`` and writes every figure under its standard name
(:data:`FIGURE_NAMES`; unknown keys become ``<key>.png``), closes the figures and returns
the written paths.

``write_report(results_dir, ...)`` writes a self-contained ``<results_dir>/report.md``:
verdict, setup, convergence assessment, per-parameter qualitative ratings, the diagnostic
figures (only those present), optional real-data sections (posterior summaries and
posterior predictive check figures) and the suggested next steps.  The report never
contains the numeric thresholds behind the ratings.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import require
from .check_diagnostics import Z_SD, suggest_next_steps

__all__ = ["FIGURE_NAMES", "save_diagnostic_figures", "write_report"]

#: ``plot_default_diagnostics`` key -> file name (the guide's standard names).
FIGURE_NAMES: dict[str, str] = {
    "losses": "loss.png",
    "recovery": "recovery.png",
    "calibration_ecdf": "calibration_ecdf.png",
    "calibration_histogram": "calibration_histogram.png",
    "coverage": "coverage.png",
    "z_score_contraction": "z_score_contraction.png",
}

_FIGURE_CAPTIONS: dict[str, tuple[str, str]] = {
    "recovery.png": (
        "Parameter recovery",
        "Posterior estimates against the true parameters of held-out simulations; points close to the "
        "diagonal mean good recovery.",
    ),
    "calibration_ecdf.png": (
        "Calibration (SBC ECDF)",
        "Simulation-based calibration: the empirical CDF of the ranks should stay inside the grey band.",
    ),
    "coverage.png": (
        "Coverage",
        "Empirical coverage of central credible intervals against their nominal level; the curve should "
        "follow the diagonal (below it: overconfident, above it: underconfident).",
    ),
    "z_score_contraction.png": (
        "Posterior z-score vs. contraction",
        "Good posteriors concentrate at high contraction with z-scores near zero; large |z| with high "
        "contraction signals overconfidence.",
    ),
}

_STATUS_WORDS = {"pass": "passed", "fail": "**failed**", "skipped": "not assessed"}
_CHECK_TITLES = {
    "finite_loss": "Finite loss",
    "validation_loss": "Validation loss recorded",
    "enough_epochs": "Enough epochs",
    "stable_training": "Training loss stable",
    "overfitting": "No overfitting",
    "diverging_validation": "Validation loss not diverging",
    "under_training": "Loss has levelled off",
}


def _safe_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(key)).strip("._") or "figure"


def save_diagnostic_figures(
    figures: Mapping[str, Any], results_dir: str | os.PathLike[str], *, dpi: int = 150, close: bool = True
) -> list[str]:
    """Save ``plot_default_diagnostics`` figures as ``<results_dir>/<standard name>``.

    Returns the written paths (in the dict's order).  Each figure is closed afterwards
    (``close=False`` keeps them open).
    """
    if not isinstance(figures, Mapping):
        raise TypeError(
            f"expected the dict[str, Figure] returned by workflow.plot_default_diagnostics(...), "
            f"got a {type(figures).__name__}"
        )
    os.makedirs(results_dir, exist_ok=True)
    written: list[str] = []
    for key, fig in figures.items():
        name = FIGURE_NAMES.get(key, f"{_safe_name(key)}.png")
        path = os.path.join(os.fspath(results_dir), name)
        if not hasattr(fig, "savefig"):
            raise TypeError(f"figures[{key!r}] is a {type(fig).__name__}, not a matplotlib Figure")
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        written.append(path)
        if close:
            plt = require("matplotlib.pyplot", "closing diagnostic figures")
            plt.close(fig)
    return written


# --------------------------------------------------------------------------------------
# report.md
# --------------------------------------------------------------------------------------


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    return str(value)


def _summarise_samples(values: Any) -> dict[str, float]:
    np = require("numpy", "summarising posterior samples")
    arr = np.asarray(values, dtype=float).reshape(-1)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return {"mean": math.nan, "sd": math.nan, "q5": math.nan, "median": math.nan, "q95": math.nan}
    q5, q50, q95 = np.quantile(arr, [0.05, 0.5, 0.95])
    return {"mean": float(arr.mean()), "sd": float(arr.std()), "q5": float(q5), "median": float(q50),
            "q95": float(q95)}


def _posterior_rows(summary: Any) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    """Accept ``{param: {stat: value}}``, ``{param: samples}`` or a DataFrame (rows = parameters)."""
    if hasattr(summary, "to_dict") and hasattr(summary, "columns"):
        summary = summary.to_dict(orient="index")
    if not isinstance(summary, Mapping):
        raise TypeError("posterior_summary must be a dict {parameter: {statistic: value}}, "
                        "{parameter: posterior draws} or a DataFrame with one row per parameter")
    rows: list[tuple[str, dict[str, Any]]] = []
    for name, stats in summary.items():
        if isinstance(stats, Mapping):
            rows.append((str(name), dict(stats)))
        else:
            np = require("numpy", "summarising posterior samples")
            arr = np.asarray(stats, dtype=float)
            if arr.ndim >= 1 and arr.shape[-1] > 1 and arr.ndim >= 3:
                for j in range(arr.shape[-1]):
                    rows.append((f"{name}[{j}]", _summarise_samples(arr[..., j])))
            else:
                rows.append((str(name), _summarise_samples(arr)))
    cols: list[str] = []
    for _, stats in rows:
        for k in stats:
            if k not in cols:
                cols.append(str(k))
    return cols, rows


def _save_figures(figures: Any, results_dir: str, prefix: str) -> list[tuple[str, str]]:
    """Return ``(caption, relative path)`` pairs; Figures are saved as ``<prefix><name>.png``."""
    if figures is None:
        return []
    items = figures.items() if isinstance(figures, Mapping) else (
        (os.path.splitext(os.path.basename(os.fspath(p)))[0], p) for p in figures
    )
    out: list[tuple[str, str]] = []
    for name, fig in items:
        if hasattr(fig, "savefig"):
            fname = f"{prefix}{_safe_name(name)}.png"
            fig.savefig(os.path.join(results_dir, fname), dpi=150, bbox_inches="tight")
            plt = require("matplotlib.pyplot", "closing report figures")
            plt.close(fig)
            out.append((str(name), fname))
        else:
            path = os.fspath(fig)
            full = path if os.path.isabs(path) else os.path.join(results_dir, path)
            if not os.path.exists(full) and os.path.exists(path):
                full = path
            rel = os.path.relpath(os.path.abspath(full), os.path.abspath(results_dir))
            out.append((str(name), rel.replace(os.sep, "/")))
    return out


def _num(value: Any) -> str:
    return _fmt(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else "n/a"


def _loss_caption(training_report: Mapping[str, Any] | None) -> str:
    if not training_report:
        return "Training (and validation) loss per epoch."
    checks = training_report.get("checks", {})
    n = training_report.get("n_epochs")
    failed = [_CHECK_TITLES.get(k, k).lower() for k, c in checks.items() if c.get("status") == "fail"]
    ev = checks.get("under_training", {}).get("evidence", {})
    trend = ""
    if "loss_slope_z" in ev and ev.get("loss_slope_z") is not None:
        trend = (f" Over the last {ev.get('trend_epochs')} epochs the training loss changed by "
                 f"{_num(-(ev.get('relative_loss_drop') or 0.0) * 100)} % of the improvement made in training "
                 f"(slope {_num(ev.get('loss_slope_z'))} standard errors).")
    verdict = ("In this run: " + "; ".join(failed) + " failed." if failed
               else "In this run the losses levelled off with no sign of overfitting.")
    return f"Training and validation loss over {n} epoch(s). {verdict}{trend}"


def _metric(r: Mapping[str, Any], name: str) -> str:
    return _num((r.get("metrics") or {}).get(name))


def _aspect_sections(params: Mapping[str, Any], rdir: str, recovery_metric: str) -> list[str]:
    """Recovery, Calibration, Contraction and Numerical summary, each with this run's values."""
    def fig(name: str, heading: str, caption: str) -> list[str]:
        if not os.path.exists(os.path.join(rdir, name)):
            return []
        return [f"![{heading}]({name})", "", f"_{caption}_", ""]

    def by_rating(key: str) -> str:
        groups: dict[str, list[str]] = {}
        for p, r in params.items():
            groups.setdefault(str(r.get(key) or "not available"), []).append(str(p))
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items())

    out: list[str] = ["### Recovery", ""]
    out += [f"| Parameter | {recovery_metric} | Recovery |", "|---|---|---|"]
    out += [f"| {_md_escape(p)} | {_metric(r, recovery_metric)} | {r.get('recovery') or 'n/a'} |"
            for p, r in params.items()]
    out.append("")
    out += fig("recovery.png", "Parameter recovery",
               "Posterior estimates against the true parameters of held-out simulations. "
               f"This run: {by_rating('recovery')}.")

    out += ["### Calibration", ""]
    out += ["| Parameter | Calibration Error | Log Gamma | z-score SD | Calibration | Direction |",
            "|---|---|---|---|---|---|"]
    out += [f"| {_md_escape(p)} | {_metric(r, 'Calibration Error')} | {_metric(r, 'Log Gamma')} | {_metric(r, Z_SD)} "
            f"| {r.get('calibration') or 'n/a'} | {r.get('dispersion') or 'n/a'} |" for p, r in params.items()]
    out.append("")
    cal = by_rating("calibration")
    direction = by_rating("dispersion")
    out += fig("calibration_ecdf.png", "Calibration (SBC ECDF)",
               f"Simulation-based calibration ECDF of the ranks of the true values. This run: {cal}.")
    out += fig("calibration_histogram.png", "SBC rank histogram",
               f"Ranks of the true values among the posterior draws; a U shape means too narrow, a hump too wide. "
               f"This run's z-score spread: {direction}.")
    out += fig("coverage.png", "Coverage",
               f"Empirical coverage of central credible intervals against their nominal level. This run: {cal}.")

    out += ["### Contraction", ""]
    out += ["| Parameter | Posterior Contraction | Contraction |", "|---|---|---|"]
    out += [f"| {_md_escape(p)} | {_metric(r, 'Posterior Contraction')} | {r.get('contraction') or 'n/a'} |"
            for p, r in params.items()]
    out.append("")
    out += fig("z_score_contraction.png", "Posterior z-score vs. contraction",
               f"Each point is a held-out simulation. This run: {by_rating('contraction')}.")

    names: list[str] = []
    for r in params.values():
        for m in (r.get("metrics") or {}):
            if m not in names:
                names.append(m)
    out += ["### Numerical summary", ""]
    if names:
        out += ["| Metric | " + " | ".join(_md_escape(p) for p in params) + " |", "|---" * (len(params) + 1) + "|"]
        out += [f"| {_md_escape(m)} | " + " | ".join(_metric(r, m) for r in params.values()) + " |" for m in names]
        out.append("")
    if os.path.exists(os.path.join(rdir, "metrics.csv")):
        out += ["_The same values are in `metrics.csv`._", ""]
    return out


def _ppc_caption(ppc_results: Mapping[str, Mapping[str, Any]] | None) -> str | None:
    if not ppc_results:
        return None
    parts = []
    for q, r in ppc_results.items():
        share = r.get("share of replications below observed")
        if isinstance(share, (int, float)):
            where = "in the tails of" if share < 0.05 or share > 0.95 else "inside"
            parts.append(f"{q}: observed value {where} the replicated distribution")
    return "Posterior predictive check. This run: " + "; ".join(parts) + "." if parts else None


def _verdict(training_report: Mapping[str, Any] | None, diag_report: Mapping[str, Any] | None) -> str:
    t_ok = None if training_report is None else bool(training_report.get("overall", {}).get("ok"))
    d_ok = None if diag_report is None else bool(diag_report.get("overall", {}).get("ok"))
    if t_ok is False and d_ok is False:
        return "**Not ready.** Training shows problems and the in-silico diagnostics flag issues; see the next steps."
    if t_ok is False:
        return ("**Not ready.** Training shows problems (see the convergence assessment); fix them before "
                "trusting the diagnostics.")
    if d_ok is False:
        return "**Not ready.** The in-silico diagnostics flag problems; see the per-parameter ratings and next steps."
    if t_ok is None and d_ok is None:
        return "No training or diagnostics report was provided."
    if d_ok is None:
        return "Training looks healthy, but no in-silico diagnostics were provided; run them before using the network."
    if t_ok is None:
        return "The in-silico diagnostics look healthy (no training report was provided)."
    return "**Ready for real data.** Training converged and the in-silico diagnostics look healthy."


def write_report(
    results_dir: str | os.PathLike[str],
    *,
    title: str = "Amortized Bayesian workflow report",
    setup: Mapping[str, Any] | None = None,
    training_report: Mapping[str, Any] | None = None,
    diag_report: Mapping[str, Any] | None = None,
    next_steps: Sequence[str] | None = None,
    posterior_summary: Any = None,
    ppc_figures: Any = None,
    ppc_notes: str | None = None,
    extra_figures: Any = None,
    notes: str | None = None,
    filename: str = "report.md",
    simulation_report: Mapping[str, Any] | None = None,
    real_data: bool = False,
    data_note: str | None = None,
    ppc_results: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """Write ``<results_dir>/report.md`` and return its path.

    ``setup``: what was run (simulation budget, networks, epochs, ...), shown as a table.
    ``training_report`` / ``diag_report``: from :func:`inspect_history` / :func:`check_diagnostics`.
    ``next_steps``: computed with :func:`suggest_next_steps` when ``None``.
    ``posterior_summary``: optional ``{param: {stat: value}}``, ``{param: posterior draws}``
    (summarised as mean / sd / 5 % / median / 95 %) or a DataFrame with one row per parameter.
    ``ppc_figures``: optional ``{name: Figure or path}`` or list of paths for the posterior
    predictive checks (Figures are saved as ``ppc_<name>.png``).
    ``extra_figures``: optional ``{caption: Figure or path}`` or list of paths shown in their own
    section after the diagnostics (e.g. visual sample grids for image-valued targets; Figures are
    saved as ``<caption>.png``).
    ``simulation_report``: from :func:`check_simulations` (section "Simulation checks", with
    ``prior_predictive.png``). ``real_data`` / ``data_note``: whether the inference section is about
    the user's data or a simulated stand-in. ``ppc_results``: ``{test quantity: {"observed",
    "replicated 5%", "replicated 95%", "share of replications below observed"}}``.
    """
    rdir = os.fspath(results_dir)
    os.makedirs(rdir, exist_ok=True)
    if next_steps is None:
        next_steps = suggest_next_steps(training_report, diag_report)
    lines: list[str] = [f"# {title}", ""]
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    folder = os.path.basename(os.path.abspath(rdir))
    lines += [f"_Generated {stamp} by bflint.runtime. All artefacts are in `{folder}/`._", ""]
    lines += ["## Verdict", "", _verdict(training_report, diag_report), ""]
    if notes:
        lines += [notes, ""]

    # Setup ------------------------------------------------------------------------------
    lines += ["## Setup", ""]
    if setup:
        lines += ["| Setting | Value |", "|---|---|"]
        lines += [f"| {_md_escape(k)} | {_md_escape(_fmt(v))} |" for k, v in setup.items()]
    else:
        lines.append("_No setup information was provided._")
    lines.append("")

    # Simulation checks ---------------------------------------------------------------------
    if simulation_report:
        lines += ["## Simulation checks", ""]
        sim_ok = simulation_report.get("overall", {}).get("ok")
        lines.append(f"{simulation_report.get('n_simulations')} simulations were checked before training: "
                     + ("no problems found." if sim_ok else "problems found."))
        lines += ["", "| Check | Result | Detail |", "|---|---|---|"]
        for name, check in simulation_report.get("checks", {}).items():
            lines.append(f"| {_md_escape(name)} | {_STATUS_WORDS.get(check.get('status'), check.get('status'))} "
                         f"| {_md_escape(check.get('message', ''))} |")
        lines.append("")
        for issue in simulation_report.get("overall", {}).get("issues") or []:
            lines.append(f"- {issue}")
        if os.path.exists(os.path.join(rdir, "prior_predictive.png")):
            lines += ["", "![Prior predictive distribution](prior_predictive.png)", "",
                      "_Prior predictive distribution of the simulated data"
                      + (" with the observed data set (black)" if real_data else "") + "._"]
        lines.append("")

    # Convergence --------------------------------------------------------------------------
    lines += ["## Convergence assessment", ""]
    if training_report:
        overall = training_report.get("overall", {})
        n = training_report.get("n_epochs")
        final = training_report.get("final", {})
        ok = overall.get("ok")
        lines.append(
            f"Training ran for {n} epoch(s). "
            + ("No convergence problems were detected." if ok else "Convergence problems were detected.")
        )
        fl, fv = final.get("loss"), final.get("val_loss")
        if fl is not None or fv is not None:
            parts = []
            if fl is not None:
                parts.append(f"final training loss {_fmt(float(fl))}")
            if fv is not None:
                parts.append(f"final validation loss {_fmt(float(fv))}")
            lines.append("(" + "; ".join(parts) + ".)")
        lines += ["", "| Check | Result | Detail |", "|---|---|---|"]
        for name, check in training_report.get("checks", {}).items():
            lines.append(
                f"| {_CHECK_TITLES.get(name, name)} | {_STATUS_WORDS.get(check.get('status'), check.get('status'))} "
                f"| {_md_escape(check.get('message', ''))} |"
            )
        lines.append("")
        issues = overall.get("issues") or []
        if issues:
            lines += ["Issues to address:", ""]
            lines += [f"- {i}" for i in issues]
            lines.append("")
    else:
        lines += ["_No training report was provided (see `history.json` if it exists)._", ""]
    if os.path.exists(os.path.join(rdir, "loss.png")):
        lines += ["![Training and validation loss](loss.png)", "", f"_{_loss_caption(training_report)}_", ""]

    # Diagnostics: recovery, calibration, contraction, numerical summary ---------------------
    params: Mapping[str, Any] = (diag_report or {}).get("parameters", {})
    if diag_report:
        overall = diag_report.get("overall", {})
        lines += ["## In-silico diagnostics", ""]
        if overall.get("summary"):
            lines += [overall["summary"], ""]
        lines += ["| Parameter | Calibration | Recovery | Contraction | Summary |", "|---|---|---|---|---|"]
        for p, r in params.items():
            lines.append(
                f"| {_md_escape(p)} | {r.get('calibration') or 'n/a'} | {r.get('recovery') or 'n/a'} "
                f"| {r.get('contraction') or 'n/a'} | {_md_escape(r.get('summary', ''))} |"
            )
        lines += ["", "_Ratings are qualitative; if they disagree, trust calibration first: a narrow but "
                  "miscalibrated posterior is worse than a wider calibrated one._", ""]
        lines += _aspect_sections(params, rdir, diag_report.get("recovery_metric") or "NRMSE")
    elif extra_figures:
        lines += ["## In-silico diagnostics", "",
                  "_No per-parameter diagnostics report was provided; see the additional figures below._", ""]
    else:
        lines += ["## In-silico diagnostics", "", "_No diagnostics report was provided._", ""]
        present = [(name, cap) for name, cap in _FIGURE_CAPTIONS.items() if os.path.exists(os.path.join(rdir, name))]
        for name, (heading, caption) in present:
            lines += [f"#### {heading}", "", f"![{heading}]({name})", "", f"_{caption}_", ""]

    extra = _save_figures(extra_figures, rdir, prefix="")
    if extra:
        lines += ["## Additional figures", ""]
        for caption, rel in extra:
            lines += [f"![{caption}]({rel})", "", f"_{caption}_", ""]

    # Real data (optional) -----------------------------------------------------------------
    if posterior_summary is not None or ppc_figures:
        lines += ["## Inference on observed data", ""]
        if data_note:
            lines += [f"Data: {_md_escape(data_note)}." + ("" if real_data else
                      " Every number below describes that stand-in, not your data."), ""]
        if posterior_summary is not None:
            cols, rows = _posterior_rows(posterior_summary)
            lines += ["### Posterior summaries", ""]
            lines += ["| Parameter | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
            for name, stats in rows:
                cells = " | ".join(_md_escape(_fmt(stats.get(c, ""))) for c in cols)
                lines.append(f"| {_md_escape(name)} | {cells} |")
            lines.append("")
        ppc = [(f"Posterior predictive check: {caption}", rel)
               for caption, rel in _save_figures(ppc_figures, rdir, prefix="ppc_")]
        if ppc:
            lines += ["### Posterior predictive checks", ""]
            if ppc_notes:
                lines += [ppc_notes, ""]
            if ppc_results:
                lines += ["| Test quantity | Observed | Replicated 5 % | Replicated 95 % "
                          "| Share of replications below |",
                          "|---|---|---|---|---|"]
                for q, r in ppc_results.items():
                    lines.append(f"| {_md_escape(q)} | {_fmt(r.get('observed'))} | {_fmt(r.get('replicated 5%'))} "
                                 f"| {_fmt(r.get('replicated 95%'))} "
                                 f"| {_fmt(r.get('share of replications below observed'))} |")
                lines.append("")
            for caption, rel in ppc:
                lines += [f"![{caption}]({rel})", "", f"_{_ppc_caption(ppc_results) or caption}_", ""]
            lines += ["_If replicated data systematically miss the observed data, improve the simulator before "
                      "trusting the inference._", ""]

    # Next steps ---------------------------------------------------------------------------
    lines += ["## Suggested next steps", ""]
    if next_steps:
        lines += [f"{i}. {s}" for i, s in enumerate(next_steps, 1)]
    else:
        lines.append("_None._")
    lines.append("")

    # Artefacts ----------------------------------------------------------------------------
    artefacts = sorted(f for f in os.listdir(rdir) if f != filename and not f.startswith("."))
    if artefacts:
        lines += ["## Artefacts", ""]
        lines += [f"- `{f}`" for f in artefacts]
        lines.append("")

    path = os.path.join(rdir, filename)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    return path
