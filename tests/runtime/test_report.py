"""Tests for save_diagnostic_figures and write_report (real matplotlib, no bayesflow needed)."""

from __future__ import annotations

import math
import re

import pytest

from bflint.runtime import (
    FIGURE_NAMES,
    check_diagnostics,
    inspect_history,
    save_diagnostic_figures,
    suggest_next_steps,
    write_report,
)
from bflint.runtime.check_diagnostics import THRESHOLDS
from bflint.runtime.inspect_training import THRESHOLDS as TRAINING_THRESHOLDS
from tests.runtime.tables import FACTS, HEALTHY

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def plt(requires_matplotlib, monkeypatch, tmp_path):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    yield plt
    plt.close("all")


def healthy_training():
    loss = [1.0 + 0.8 * math.exp(-i / 6) for i in range(60)]
    return inspect_history({"loss": loss, "val_loss": [v + 0.02 for v in loss]})


def make_fig(plt):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return fig


def test_save_diagnostic_figures_standard_and_unknown_names(plt, tmp_path):
    figures = {key: make_fig(plt) for key in FIGURE_NAMES}
    figures["my extra/plot"] = make_fig(plt)
    out = tmp_path / "results"
    paths = save_diagnostic_figures(figures, out)
    names = [p.split("/")[-1] for p in paths]
    assert names == [
        "loss.png",
        "recovery.png",
        "calibration_ecdf.png",
        "calibration_histogram.png",
        "coverage.png",
        "z_score_contraction.png",
        "my_extra_plot.png",
    ]
    for p in paths:
        with open(p, "rb") as fh:
            assert fh.read(8) == PNG_MAGIC
    assert plt.get_fignums() == []  # all closed


def test_save_diagnostic_figures_can_keep_figures_open(plt, tmp_path):
    save_diagnostic_figures({"recovery": make_fig(plt)}, tmp_path, close=False)
    assert len(plt.get_fignums()) == 1


def test_save_diagnostic_figures_rejects_single_figure(plt, tmp_path):
    with pytest.raises(TypeError, match="dict"):
        save_diagnostic_figures(make_fig(plt), tmp_path)
    with pytest.raises(TypeError, match="not a matplotlib Figure"):
        save_diagnostic_figures({"recovery": "recovery.png"}, tmp_path)


def test_report_embeds_only_existing_figures(tmp_path):
    (tmp_path / "recovery.png").write_bytes(PNG_MAGIC)
    (tmp_path / "loss.png").write_bytes(PNG_MAGIC)
    path = write_report(tmp_path, training_report=healthy_training(), diag_report=check_diagnostics(HEALTHY))
    text = open(path).read()
    assert path == str(tmp_path / "report.md")
    assert "](recovery.png)" in text and "](loss.png)" in text
    assert "](coverage.png)" not in text and "calibration_ecdf.png)" not in text
    assert "**Ready for real data.**" in text


def test_report_sections_and_ratings(tmp_path):
    diag = check_diagnostics(FACTS)
    tr = healthy_training()
    path = write_report(
        tmp_path,
        title="Demo report",
        setup={"simulation budget": 20000, "epochs": 100, "networks": ["SetTransformer", "FlowMatching"]},
        training_report=tr,
        diag_report=diag,
    )
    text = open(path).read()
    assert text.startswith("# Demo report\n")
    for heading in ("## Verdict", "## Setup", "## Convergence assessment", "## In-silico diagnostics",
                    "## Suggested next steps"):
        assert heading in text
    assert "| simulation budget | 20000 |" in text
    assert "| networks | SetTransformer, FlowMatching |" in text
    assert "| sigma | poor | poor | medium |" in text
    assert "| mu | fair | poor | medium |" in text
    assert "**Not ready.**" in text
    # next steps were computed because none were given
    for i, step in enumerate(suggest_next_steps(tr, diag), 1):
        assert f"{i}. {step}" in text
    assert "## Inference on observed data" not in text


def test_report_never_shows_thresholds(tmp_path):
    numbers = set()
    for group in THRESHOLDS.values():
        numbers |= {f"{v:g}" for v in group.values()}
    numbers |= {f"{v:g}" for k, v in TRAINING_THRESHOLDS.items() if k != "tail_window"}
    short = inspect_history({"loss": [3.0, 2.0], "val_loss": [3.1, 2.2]})
    for tr, table in ((short, FACTS), (healthy_training(), HEALTHY)):
        text = open(write_report(tmp_path, training_report=tr, diag_report=check_diagnostics(table))).read()
        tokens = set(re.findall(r"-?\d+(?:\.\d+)?", text.split("## Setup")[1]))
        # dates, epoch counts, final losses and this run's metric values (issue 15 §5) are fine;
        # threshold values are not
        values = {f"{float(v):.4g}" for row in table.values() for v in row.values()}
        trend = tr["checks"].get("under_training", {}).get("evidence", {}).get("trend_epochs")
        epochs = {str(tr["n_epochs"]), str(trend)}
        assert not (tokens & numbers - {"2", "1", "0"} - values - epochs), tokens & numbers


def test_report_real_data_sections(plt, tmp_path):
    import numpy as np

    rng = np.random.default_rng(1)
    ppc = make_fig(plt)
    (tmp_path / "grid.png").write_bytes(PNG_MAGIC)
    path = write_report(
        tmp_path,
        training_report=healthy_training(),
        diag_report=check_diagnostics(HEALTHY),
        posterior_summary={
            "a": rng.normal(2.0, 0.1, size=(1, 500, 1)),
            "b": {"mean": 1.5, "sd": 0.2},
            "vec": rng.normal(size=(1, 300, 2)),
        },
        ppc_figures={"test quantities": ppc, "grid": str(tmp_path / "grid.png")},
        ppc_notes="Replicated vs observed.",
    )
    text = open(path).read()
    assert "## Inference on observed data" in text and "### Posterior predictive checks" in text
    assert "| Parameter | mean | sd | q5 | median | q95 |" in text
    posterior = text.split("### Posterior summaries")[1]
    row = next(line for line in posterior.splitlines() if line.startswith("| a |"))
    assert float(row.split("|")[2]) == pytest.approx(2.0, abs=0.05)
    assert "| vec[0] |" in text and "| vec[1] |" in text
    assert "| b | 1.5 | 0.2 |" in posterior
    assert "](ppc_test_quantities.png)" in text and "](grid.png)" in text
    assert (tmp_path / "ppc_test_quantities.png").read_bytes()[:8] == PNG_MAGIC
    assert "Replicated vs observed." in text
    assert plt.get_fignums() == []


def test_report_without_reports(tmp_path):
    text = open(write_report(tmp_path, next_steps=[])).read()
    assert "No training or diagnostics report was provided." in text
    assert "_None._" in text


def test_report_explicit_next_steps_and_custom_filename(tmp_path):
    path = write_report(tmp_path / "new", next_steps=["Do A.", "Do B."], filename="iter2.md")
    text = open(path).read()
    assert path.endswith("iter2.md")
    assert "1. Do A.\n2. Do B." in text


def test_report_extra_figures_section(plt, tmp_path):
    (tmp_path / "sample_grid.png").write_bytes(PNG_MAGIC)
    path = write_report(
        tmp_path,
        training_report=healthy_training(),
        extra_figures={"Sample grid": "sample_grid.png", "density": make_fig(plt)},
        next_steps=["Look at the grid."],
    )
    text = open(path).read()
    assert "## Additional figures" in text
    assert "![Sample grid](sample_grid.png)" in text and "](density.png)" in text
    assert (tmp_path / "density.png").read_bytes()[:8] == PNG_MAGIC
    assert "see the additional figures below" in text
    assert "## Inference on observed data" not in text
    assert text.index("## In-silico diagnostics") < text.index("## Additional figures") < text.index("## Suggested")
