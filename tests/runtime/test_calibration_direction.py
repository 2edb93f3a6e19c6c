"""Issue 15 §2: calibration with a direction, on tables BayesFlow computes itself from controlled draws.

Test sets: truth theta_i ~ N(mu_i, s^2) with mu_i ~ N(0, 1 - s^2) (so theta ~ N(0, 1), the prior),
posterior draws N(mu_i, (k s)^2): k = 1 calibrated, k = 2 too wide (underconfident), k = 0.5 too
narrow (overconfident). The metric rows are BayesFlow 2.1's own functions; the z-score spread is
bf.diagnostics.metrics.posterior_z_score via bflint.runtime's z_score_sd_row.
"""

from __future__ import annotations

import math
import os

import pytest

from bflint.runtime import check_diagnostics, suggest_next_steps
from bflint.runtime.check_diagnostics import OVERCONFIDENT, Z_SD, z_score_sd_row


@pytest.fixture(scope="module")
def tables(requires_runtime_module):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import bayesflow as bf
    import numpy as np

    m = bf.diagnostics.metrics
    rng = np.random.default_rng(0)
    n, draws_per_set, s = 300, 400, 0.3
    mu = rng.normal(0.0, math.sqrt(1 - s * s), n)
    theta = rng.normal(mu, s)
    out = {}
    for k in (1.0, 2.0, 0.5):
        est = {"theta": rng.normal(mu[:, None], k * s, (n, draws_per_set))[..., None]}
        tg = {"theta": theta[:, None]}
        rows = (m.root_mean_squared_error(est, tg), m.calibration_log_gamma(est, tg), m.calibration_error(est, tg),
                m.posterior_contraction(est, tg))
        table = {r["metric_name"]: {"theta": float(np.ravel(r["values"])[0])} for r in rows}
        table[Z_SD] = z_score_sd_row(est, tg, ["theta"])
        out[k] = table
    return out


def training_ok():
    return {"checks": {}, "overall": {"ok": True}}


def test_calibrated_posterior_is_excellent(tables):
    r = check_diagnostics(tables[1.0])["parameters"]["theta"]
    assert r["calibration"] == "excellent" and r["dispersion"] == "about right"


def test_underconfident_is_not_called_overconfident(tables):
    report = check_diagnostics(tables[2.0])
    r = report["parameters"]["theta"]
    assert r["calibration"] == "poor"
    assert r["dispersion"] == "underconfident"
    assert r["contraction"] != OVERCONFIDENT and "overconfident" not in r["summary"]
    assert "too wide" in r["summary"] and "underconfident (too wide)" in report["overall"]["summary"]
    steps = suggest_next_steps(training_ok(), report)
    assert any("underconfident" in step for step in steps)
    assert not any("narrow but miscalibrated" in step for step in steps)


def test_overconfident_is_called_overconfident(tables):
    report = check_diagnostics(tables[0.5])
    r = report["parameters"]["theta"]
    assert r["calibration"] == "poor" and r["dispersion"] == "overconfident"
    assert r["contraction"] == OVERCONFIDENT
    steps = suggest_next_steps(training_ok(), report)
    assert any("narrow but miscalibrated" in step for step in steps)
    assert not any("underconfident" in step for step in steps)


def test_bayesflow_log_gamma_minus_inf_is_the_worst_case(tables):
    table = {k: dict(v) for k, v in tables[2.0].items()}
    assert table["Log Gamma"]["theta"] == -math.inf  # measured: BayesFlow emits -inf here
    table["Calibration Error"]["theta"] = 0.01  # even with a small calibration error
    report = check_diagnostics(table)
    assert report["parameters"]["theta"]["calibration"] == "poor"
    assert report["overall"]["ok"] is False


def test_without_direction_evidence_overconfidence_is_not_claimed():
    t = {"Calibration Error": {"p": 0.3}, "Log Gamma": {"p": -8.0}, "NRMSE": {"p": 0.1},
         "Posterior Contraction": {"p": 0.95}}
    r = check_diagnostics(t)["parameters"]["p"]
    assert r["contraction"] == "high" and "direction unknown" in r["summary"]


def test_cli_output_files_an_agent_can_read(tmp_path):
    """issue 15 §4: --output FILE writes the same JSON the CLI prints."""
    import json
    import math as _m

    from click.testing import CliRunner

    from bflint.runtime.cli import check_diagnostics_command, inspect_training_command

    hist = tmp_path / "history.json"
    loss = [0.5 + _m.exp(-i / 5) for i in range(40)]
    hist.write_text(json.dumps({"loss": loss, "val_loss": [v + 0.01 for v in loss]}))
    metrics = tmp_path / "metrics.csv"
    metrics.write_text(",a\nNRMSE,0.05\nLog Gamma,1\nCalibration Error,0.3\nPosterior Contraction,0.9\n"
                       "Posterior z-score SD,0.5\n")
    out1, out2 = tmp_path / "t.json", tmp_path / "sub" / "d.json"
    r1 = CliRunner().invoke(inspect_training_command, [str(hist), "--output", str(out1)])
    assert r1.exit_code == 0 and json.loads(out1.read_text()) == json.loads(r1.stdout)
    r2 = CliRunner().invoke(check_diagnostics_command, [str(metrics), "--history", str(hist), "--output", str(out2)])
    assert r2.exit_code == 1
    doc = json.loads(out2.read_text())
    assert doc == json.loads(r2.stdout)
    assert doc["parameters"]["a"]["dispersion"] == "underconfident"
    assert doc["parameters"]["a"]["metrics"]["Calibration Error"] == 0.3
