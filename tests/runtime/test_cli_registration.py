"""The runtime commands as registered on the main `bflint` group (and the installed entry point)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bflint.cli import main


def history(tmp_path, ok=True):
    loss = [1.0 + 0.8 * math.exp(-i / 6) for i in range(60)]
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"loss": loss, "val_loss": [v + 0.02 for v in loss]} if ok else {"loss": loss}))
    return str(path)


def metrics(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(",a\nNRMSE,0.05\nLog Gamma,1.0\nCalibration Error,0.01\nPosterior Contraction,0.9\n")
    return str(path)


def test_commands_are_listed():
    res = CliRunner().invoke(main, ["--help"])
    assert res.exit_code == 0
    for name in ("inspect-training", "check-diagnostics", "new"):
        assert name in res.stdout


def test_inspect_training_via_main(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["inspect-training", history(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["inspect-training", history(tmp_path, ok=False)]).exit_code == 1
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    res = runner.invoke(main, ["inspect-training", str(bad)])
    assert res.exit_code == 2 and "not valid JSON" in res.stderr


def test_check_diagnostics_via_main(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["check-diagnostics", metrics(tmp_path), "--history", history(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["summary"]["a"] == "excellent calibration; excellent recovery; high contraction"
    assert out["training"]["ok"] is True
    res = runner.invoke(main, ["check-diagnostics", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2 and "error:" in res.stderr


def test_new_via_main(tmp_path):
    res = CliRunner().invoke(main, ["new", "demo", "--data", "vector", "--output-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "demo.py").exists()


def test_installed_entry_point(tmp_path):
    beside = Path(sys.executable).parent / "bflint"
    exe = str(beside) if beside.exists() else shutil.which("bflint")
    if exe is None:
        pytest.skip("the bflint entry point is not on PATH")
    proc = subprocess.run([exe, "inspect-training", str(tmp_path / "nope.json")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
