"""End-to-end: generate workflow scripts and run them with --smoke on the real BayesFlow (JAX, CPU).

These tests need the runtime extra; they are skipped without it unless BFLINT_REQUIRE_RUNTIME=1.
Each smoke run takes roughly 30-45 s on a 2-core CPU; deselect them with ``-m "not runtime_smoke"``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from bflint.runtime import check_diagnostics, inspect_history
from bflint.runtime.template import write_script


pytestmark = pytest.mark.runtime_smoke

FIGURES = ["loss.png", "recovery.png", "calibration_ecdf.png", "coverage.png", "z_score_contraction.png"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RATINGS = {
    "calibration": {"excellent", "fair", "poor", None},
    "recovery": {"excellent", "good", "fair", "poor", None},
    "contraction": {"high", "medium", "low", "poor — overconfident", None},
}


def run_smoke(tmp_path, env, slug, kind, timeout=300):
    script = write_script(slug, kind, tmp_path)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, script, "--smoke"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, f"{kind} smoke run failed after {elapsed:.0f}s:\n{proc.stderr[-4000:]}"
    print(f"{kind} smoke run: {elapsed:.1f} s")
    return tmp_path / slug, proc


def check_standard_artefacts(results, params):
    history = json.loads((results / "history.json").read_text())
    assert set(history) >= {"loss", "val_loss"} and len(history["loss"]) == 2
    training = inspect_history(results / "history.json")
    assert training["checks"]["enough_epochs"]["status"] == "fail"  # 2 smoke epochs are too few to judge
    for name in FIGURES:
        assert (results / name).read_bytes()[:8] == PNG_MAGIC, name
    header = (results / "metrics.csv").read_text().splitlines()[0]
    assert header.startswith(",") and header.split(",")[1:] == params
    diag = check_diagnostics(results / "metrics.csv")
    assert list(diag["parameters"]) == params
    assert diag["recovery_metric"] == "NRMSE"
    for p, r in diag["parameters"].items():
        for key, allowed in RATINGS.items():
            assert r[key] in allowed
        assert r["calibration"] is not None and r["recovery"] is not None and r["contraction"] is not None
        assert r["summary"].count(";") == 2
    report = (results / "report.md").read_text()
    for name in FIGURES:
        assert f"]({name})" in report
    for p in params:
        assert f"| {p} | {diag['parameters'][p]['calibration']} | {diag['parameters'][p]['recovery']} |" in report
    for heading in ("## Setup", "## Convergence assessment", "## In-silico diagnostics",
                    "## Inference on observed data", "### Posterior predictive checks", "## Suggested next steps"):
        assert heading in report
    assert "](ppc_test_quantities.png)" in report
    assert (results / "ppc_test_quantities.png").read_bytes()[:8] == PNG_MAGIC
    return diag, report


def test_set_template_smoke_run_end_to_end(tmp_path, runtime_env, requires_runtime):
    results, proc = run_smoke(tmp_path, runtime_env, "coin-set", "set")
    diag, report = check_standard_artefacts(results, ["mu", "sigma"])
    assert "only 2 epoch(s)" in report
    # the CLI reads the real metrics.csv too
    from click.testing import CliRunner

    from bflint.runtime.cli import check_diagnostics_command

    res = CliRunner().invoke(
        check_diagnostics_command, [str(results / "metrics.csv"), "--history", str(results / "history.json")]
    )
    assert res.exit_code == 1  # two epochs: not ok
    out = json.loads(res.stdout)
    assert out["summary"] == diag["summary"]
    assert any("100 epochs" in s for s in out["next_steps"])


@pytest.mark.parametrize(
    "kind, params",
    [("time-series", ["phi", "sigma"]), ("vector", ["amplitude", "rate"]), ("image", ["cx", "cy", "width"])],
)
def test_other_templates_smoke_run(tmp_path, runtime_env, requires_runtime, kind, params):
    results, _ = run_smoke(tmp_path, runtime_env, f"demo-{kind}", kind)
    check_standard_artefacts(results, params)


def test_image_target_smoke_run(tmp_path, runtime_env, requires_runtime):
    results, _ = run_smoke(tmp_path, runtime_env, "denoise", "image-target", timeout=600)
    history = json.loads((results / "history.json").read_text())
    assert len(history["loss"]) == 2 and len(history["val_loss"]) == 2
    assert (results / "sample_grid.png").read_bytes()[:8] == PNG_MAGIC
    report = (results / "report.md").read_text()
    assert "## Additional figures" in report and "](sample_grid.png)" in report
    assert "Inspect sample_grid.png" in report
    assert not (results / "metrics.csv").exists()
