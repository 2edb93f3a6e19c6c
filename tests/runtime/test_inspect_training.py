"""Unit tests for bflint.runtime.inspect_training (no third-party runtime packages needed)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bflint.runtime import HistoryError, inspect_history
from bflint.runtime.cli import inspect_training_command
from bflint.runtime.inspect_training import THRESHOLDS, main

N = 60


def converged(n: int = N, offset: float = 1.0) -> dict[str, list[float]]:
    """A healthy run: fast decay that has levelled off, small epoch-to-epoch noise."""
    loss = [offset + 0.8 * math.exp(-i / 6) + 0.01 * math.sin(2.1 * i) for i in range(n)]
    val = [v + 0.02 + 0.015 * math.cos(1.7 * i) for i, v in enumerate(loss)]
    return {"loss": loss, "val_loss": val}


def statuses(report: dict) -> dict[str, str]:
    return {k: v["status"] for k, v in report["checks"].items()}


def assert_json_clean(report: dict) -> None:
    json.dumps(report, allow_nan=False)


# ------------------------------------------------------------------ healthy and each check


def test_healthy_history_is_ok():
    report = inspect_history(converged())
    assert report["overall"] == {"ok": True, "recommendation": "go", "issues": []}
    assert set(statuses(report).values()) == {"pass"}
    assert report["n_epochs"] == N
    assert_json_clean(report)


def test_negative_losses_converged_is_ok():
    # Normalising-flow NLLs are often negative; the checks must not use a naive ratio.
    report = inspect_history(converged(offset=-2.0))
    assert report["overall"]["ok"], report["overall"]["issues"]


def test_nan_loss_fails_first_and_skips_trends():
    h = converged()
    h["loss"][40] = float("nan")
    report = inspect_history(h)
    s = statuses(report)
    assert s["finite_loss"] == "fail"
    assert s["overfitting"] == s["under_training"] == s["diverging_validation"] == "skipped"
    assert report["overall"]["ok"] is False
    assert "NaN" in report["overall"]["issues"][0]
    assert report["checks"]["finite_loss"]["evidence"]["non_finite"]["loss"]["first_bad_epoch"] == 41
    assert_json_clean(report)


def test_inf_in_val_loss_fails():
    h = converged()
    h["val_loss"][-1] = float("inf")
    report = inspect_history(h)
    assert statuses(report)["finite_loss"] == "fail"
    assert "val_loss" in report["checks"]["finite_loss"]["evidence"]["non_finite"]
    assert_json_clean(report)


def test_none_values_from_json_count_as_nan():
    h = converged()
    h["loss"][3] = None
    assert statuses(inspect_history(h))["finite_loss"] == "fail"


def test_missing_val_loss_fails_and_skips_validation_checks():
    h = converged()
    del h["val_loss"]
    report = inspect_history(h)
    s = statuses(report)
    assert s["validation_loss"] == "fail"
    assert s["overfitting"] == "skipped" and s["diverging_validation"] == "skipped"
    assert s["under_training"] == "pass"
    assert any("validation_data" in i for i in report["overall"]["issues"])
    assert report["overall"]["ok"] is False


def test_overfitting_fires_when_val_clearly_above_loss():
    h = converged()
    h["val_loss"] = [v * 1.3 for v in h["loss"]]
    report = inspect_history(h)
    s = statuses(report)
    assert s["overfitting"] == "fail"
    ev = report["checks"]["overfitting"]["evidence"]
    assert ev["ratio"] == pytest.approx(1.3, rel=1e-6)
    assert any("dropout" in i for i in report["overall"]["issues"])


def test_overfitting_does_not_fire_just_below_the_ratio():
    h = converged()
    h["val_loss"] = [v * (THRESHOLDS["overfit_ratio"] - 0.03) for v in h["loss"]]
    assert statuses(inspect_history(h))["overfitting"] == "pass"


def test_single_noisy_last_epoch_does_not_flip_overfitting():
    h = converged()
    h["val_loss"][-1] = h["loss"][-1] * 1.3  # one spike; the mean over the window stays close
    assert statuses(inspect_history(h))["overfitting"] == "pass"


def test_under_training_fires_when_loss_still_falling():
    loss = [10.0 - 0.15 * i for i in range(40)]
    h = {"loss": loss, "val_loss": [v + 0.1 for v in loss]}
    report = inspect_history(h)
    assert statuses(report)["under_training"] == "fail"
    assert report["checks"]["under_training"]["evidence"]["relative_loss_drop"] > THRESHOLDS["under_training_rel_drop"]
    assert any("more epochs" in i for i in report["overall"]["issues"])


def test_under_training_does_not_fire_on_plateau():
    assert statuses(inspect_history(converged()))["under_training"] == "pass"


def test_diverging_validation_fires_and_is_not_called_under_training():
    loss = [2.0 * math.exp(-i / 10) + 1.0 - 0.005 * i for i in range(50)]
    val = [1.6 + 0.002 * (i - 20) ** 2 for i in range(50)]  # U-shaped: rising at the end
    report = inspect_history({"loss": loss, "val_loss": val})
    s = statuses(report)
    assert s["diverging_validation"] == "fail"
    assert s["under_training"] == "pass"
    ev = report["checks"]["diverging_validation"]["evidence"]
    assert ev["best_val_epoch"] == 21
    assert report["overall"]["ok"] is False


def test_diverging_does_not_fire_when_both_losses_fall():
    loss = [10.0 - 0.15 * i for i in range(40)]
    h = {"loss": loss, "val_loss": [v + 0.1 for v in loss]}
    assert statuses(inspect_history(h))["diverging_validation"] == "pass"


@pytest.mark.parametrize("n", [0, 1, 2, THRESHOLDS["min_epochs"] - 1])
def test_too_few_epochs(n):
    h = {"loss": [1.0] * n, "val_loss": [1.0] * n}
    report = inspect_history(h)
    s = statuses(report)
    assert s["enough_epochs"] == "fail"
    assert s["under_training"] == "skipped"
    assert report["overall"]["ok"] is False
    assert_json_clean(report)


def test_exactly_min_epochs_is_judged():
    n = int(THRESHOLDS["min_epochs"])
    report = inspect_history({"loss": [1.0] * n, "val_loss": [1.0] * n})
    assert report["overall"]["ok"] is True


def test_extra_keys_are_ignored():
    h = converged()
    h["learning_rate"] = [0.001] * N
    h["note"] = "hello"
    assert inspect_history(h)["overall"]["ok"]


# ------------------------------------------------------------------ input forms


class FakeHistory:
    def __init__(self, history):
        self.history = history


def test_accepts_history_object_and_paths(tmp_path):
    h = converged()
    path = tmp_path / "history.json"
    path.write_text(json.dumps(h))
    expected = inspect_history(h)["checks"]
    assert inspect_history(FakeHistory(h))["checks"] == expected
    assert inspect_history(str(path))["checks"] == expected
    assert inspect_history(path)["checks"] == expected


def test_nan_written_by_json_dump_is_read_back(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"loss": [1.0, float("nan")] * 5, "val_loss": [1.0] * 10}))
    assert statuses(inspect_history(path))["finite_loss"] == "fail"


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ({}, "no 'loss' key"),
        ({"val_loss": [1.0]}, "no 'loss' key"),
        ([1.0, 2.0], "cannot inspect a list"),
        ({"loss": "1,2,3"}, "list of numbers"),
        ({"loss": [1.0, "x"]}, "not a number"),
        ({"loss": [True, 1.0]}, "bool"),
        (42, "cannot inspect"),
    ],
)
def test_malformed_inputs_raise_history_error(bad, fragment):
    with pytest.raises(HistoryError, match=fragment):
        inspect_history(bad)


def test_history_error_is_a_value_error():
    assert issubclass(HistoryError, ValueError)


def test_malformed_json_file(tmp_path):
    path = tmp_path / "history.json"
    path.write_text("{'loss': [1, 2]")
    with pytest.raises(HistoryError, match="not valid JSON"):
        inspect_history(path)


def test_missing_file(tmp_path):
    with pytest.raises(HistoryError, match="cannot read"):
        inspect_history(tmp_path / "nope.json")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=40),
    st.one_of(st.none(), st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=40)),
)
def test_any_numeric_history_gives_a_clean_report(loss, val):
    h = {"loss": loss} if val is None else {"loss": loss, "val_loss": val}
    report = inspect_history(h)
    assert_json_clean(report)
    assert isinstance(report["overall"]["ok"], bool)
    assert report["overall"]["ok"] == (not report["overall"]["issues"])


# ------------------------------------------------------------------ command lines


def write(tmp_path: Path, obj, name="history.json") -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


def test_main_exit_codes(tmp_path, capsys):
    assert main(["--history", write(tmp_path, converged())]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["overall"]["ok"] is True
    h = converged()
    del h["val_loss"]
    assert main(["--history", write(tmp_path, h)]) == 1
    assert main(["--history", write(tmp_path, "not json")]) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "content, code",
    [(converged(), 0), ({"loss": [1.0, float("nan")] * 5, "val_loss": [1.0] * 10}, 1), ("[1, 2", 2), ([1, 2], 2)],
)
def test_python_dash_m(tmp_path, content, code):
    path = write(tmp_path, content)
    proc = subprocess.run(
        [sys.executable, "-m", "bflint.runtime.inspect_training", "--history", path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    if code == 2:
        assert proc.stderr.startswith("error: ") and proc.stdout == ""
    else:
        assert json.loads(proc.stdout)["overall"]["ok"] is (code == 0)


def test_python_dash_m_missing_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bflint.runtime.inspect_training", "--history", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "cannot read history file" in proc.stderr and "Traceback" not in proc.stderr


def test_click_command_exit_codes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(inspect_training_command, [write(tmp_path, converged())])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["overall"]["ok"] is True
    h = converged()
    h["val_loss"] = [v * 1.5 for v in h["loss"]]
    bad = runner.invoke(inspect_training_command, [write(tmp_path, h)])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["checks"]["overfitting"]["status"] == "fail"
    broken = runner.invoke(inspect_training_command, [write(tmp_path, "{")])
    assert broken.exit_code == 2
    assert "error:" in broken.stderr and broken.exception is None or isinstance(broken.exception, SystemExit)
    missing = runner.invoke(inspect_training_command, [str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_importing_runtime_and_cli_is_light():
    code = (
        "import sys, bflint.runtime, bflint.runtime.cli, bflint.runtime.template;"
        "heavy = [m for m in ('bayesflow', 'pandas', 'matplotlib', 'keras', 'jax', 'numpy') if m in sys.modules];"
        "print(heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# ------------------------------------------------------------------ noise robustness and real histories

DATA = Path(__file__).parent / "data"


def noisy_plateau(seed: int, n: int = 100, level: float = 0.55, noise: float = 0.04) -> dict[str, list[float]]:
    import random

    rng = random.Random(seed)
    loss = [level + 0.5 * math.exp(-i / 5) + rng.gauss(0.0, noise) for i in range(n)]
    val = [level + 0.5 * math.exp(-i / 5) + rng.gauss(0.0, noise * 1.5) for i in range(n)]
    return {"loss": loss, "val_loss": val}


def test_noisy_plateau_rarely_flagged():
    # Flow-matching losses scatter by several percent from epoch to epoch; a converged run must
    # not be called under-trained, overfitted or diverging because of that scatter.
    flagged = [seed for seed in range(60) if not inspect_history(noisy_plateau(seed))["overall"]["ok"]]
    assert len(flagged) <= 4, flagged


def test_noisy_but_still_falling_is_flagged():
    import random

    rng = random.Random(0)
    loss = [1.5 - 0.01 * i + rng.gauss(0.0, 0.02) for i in range(100)]
    val = [v + 0.02 + rng.gauss(0.0, 0.02) for v in loss]
    report = inspect_history({"loss": loss, "val_loss": val})
    assert statuses(report)["under_training"] == "fail"
    assert report["checks"]["under_training"]["evidence"]["window"] == 10


def test_noisy_overfitting_is_flagged():
    h = noisy_plateau(1)
    h["val_loss"] = [v * 1.35 for v in h["val_loss"]]
    assert statuses(inspect_history(h))["overfitting"] == "fail"


def test_window_grows_with_long_runs():
    assert inspect_history(noisy_plateau(0, n=300))["checks"]["under_training"]["evidence"]["window"] == 20
    assert inspect_history(noisy_plateau(0, n=12))["checks"]["under_training"]["evidence"]["window"] == 5
    assert inspect_history(noisy_plateau(0, n=8))["checks"]["under_training"]["evidence"]["window"] == 4


def test_real_flow_matching_history():
    # Recorded from BayesFlow 2.1 (FlowMatching + SetTransformer, 2000 simulations, batch 64):
    # after 20 epochs the loss is still clearly falling; after 40 it is flat within its scatter.
    history = json.loads((DATA / "flow_matching_set_40_epochs.json").read_text())
    early = inspect_history({k: v[:20] for k, v in history.items()})
    assert statuses(early)["under_training"] == "fail"
    assert early["overall"]["ok"] is False
    full = inspect_history(history)
    assert full["overall"]["ok"] is True, full["overall"]["issues"]


def test_real_coupling_flow_history_negative_nll():
    # Recorded from BayesFlow 2.1 (CouplingFlow + SetTransformer): the NLL crosses zero; the
    # validation NLL stays a few hundredths of a nat above the training NLL, which is not overfitting;
    # the NLL is still clearly falling after 20 epochs and has nearly levelled off at 40.
    history = json.loads((DATA / "coupling_flow_set_40_epochs.json").read_text())
    assert min(history["loss"]) < 0 < history["loss"][0]
    report = inspect_history(history)
    assert report["overall"]["ok"] is True, report["overall"]["issues"]
    early = statuses(inspect_history({k: v[:20] for k, v in history.items()}))
    assert early["under_training"] == "fail" and early["overfitting"] == "pass"


@pytest.mark.parametrize("shift", [-10.0, -1.0, 0.0, -0.2])
def test_nll_verdicts_do_not_depend_on_the_offset(shift):
    history = json.loads((DATA / "coupling_flow_set_40_epochs.json").read_text())
    shifted = {k: [v + shift for v in vs] for k, vs in history.items()}
    assert statuses(inspect_history(shifted)) == statuses(inspect_history(history))


def test_nll_overfitting_still_detected():
    history = json.loads((DATA / "coupling_flow_set_40_epochs.json").read_text())
    gap = 0.5 * (max(history["loss"][:5]) - history["loss"][-1])
    history["val_loss"] = [v + gap for v in history["loss"]]
    assert statuses(inspect_history(history))["overfitting"] == "fail"


def test_real_keras_history_object(tmp_path, requires_runtime):
    code = (
        "import os, json; os.environ['KERAS_BACKEND'] = 'jax'\n"
        "import keras\n"
        "from bflint.runtime import inspect_history\n"
        "h = keras.callbacks.History()\n"
        "h.history = {'loss': [3.0, 2.0, 1.5, 1.2, 1.1, 1.05, 1.02, 1.01, 1.0, 1.0, 1.0, 1.0],"
        " 'val_loss': [3.1, 2.1, 1.6, 1.3, 1.15, 1.1, 1.05, 1.04, 1.03, 1.03, 1.03, 1.03]}\n"
        "r = inspect_history(h)\n"
        "print(json.dumps([r['source'], r['n_epochs']]))\n"
    )
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == ["History.history", 12]
