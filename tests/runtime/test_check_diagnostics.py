"""Unit tests for bflint.runtime.check_diagnostics and suggest_next_steps."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bflint.runtime import DiagnosticsTableError, check_diagnostics, inspect_history, suggest_next_steps
from bflint.runtime.check_diagnostics import OVERCONFIDENT, THRESHOLDS, main
from bflint.runtime.cli import check_diagnostics_command
from tests.runtime.tables import FACTS, HEALTHY

ROWS = ["NRMSE", "Log Gamma", "Calibration Error", "Posterior Contraction"]


def frame(table, transpose=False):
    import pandas as pd

    df = pd.DataFrame(table).T  # rows = metrics, columns = parameters, like BayesFlow
    return df.T if transpose else df


def as_tuple_of_dicts(table):
    import numpy as np

    params = list(next(iter(table.values())))
    return tuple(
        {"values": np.array([table[m][p] for p in params]), "metric_name": m, "variable_names": params}
        for m in table
    )


def ratings(report):
    return {p: (r["calibration"], r["recovery"], r["contraction"]) for p, r in report["parameters"].items()}


def all_text(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k != "metrics":  # raw metric values are data, not thresholds
                yield from all_text(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_text(v)


# ------------------------------------------------------------------ ratings


def test_healthy_table_from_plain_mapping():
    report = check_diagnostics(HEALTHY)
    assert ratings(report) == {"a": ("excellent", "excellent", "high"), "b": ("excellent", "good", "high")}
    assert report["summary"]["a"] == "excellent calibration; excellent recovery; high contraction"
    assert report["overall"]["ok"] is True
    assert report["recovery_metric"] == "NRMSE"
    json.dumps(report, allow_nan=False)


def test_measured_facts_table():
    report = check_diagnostics(FACTS)
    # mu: fair calibration error and Log Gamma < 0 (rejected) -> fair; sigma: strongly rejected -> poor
    assert ratings(report) == {"mu": ("fair", "poor", "medium"), "sigma": ("poor", "poor", "medium")}
    assert report["overall"]["ok"] is False
    assert "calibration is poor for sigma" in report["overall"]["summary"]


def test_negative_log_gamma_caps_calibration_at_fair():
    t = {k: dict(v) for k, v in HEALTHY.items()}
    t["Log Gamma"]["a"] = -0.5
    assert check_diagnostics(t)["parameters"]["a"]["calibration"] == "fair"


@pytest.mark.parametrize(
    "ece, expected",
    [(0.0, "excellent"), (THRESHOLDS["calibration_error"]["excellent"], "excellent"), (0.07, "fair"), (0.3, "poor")],
)
def test_calibration_error_bands(ece, expected):
    t = {"Calibration Error": {"p": ece}, "Log Gamma": {"p": 1.0}}
    assert check_diagnostics(t)["parameters"]["p"]["calibration"] == expected


@pytest.mark.parametrize(
    "nrmse, expected", [(0.05, "excellent"), (0.2, "good"), (0.4, "fair"), (0.9, "poor"), (1.7, "poor")]
)
def test_recovery_bands(nrmse, expected):
    assert check_diagnostics({"NRMSE": {"p": nrmse}})["parameters"]["p"]["recovery"] == expected


@pytest.mark.parametrize("pc, expected", [(0.95, "high"), (0.6, "medium"), (0.1, "low"), (0.0, "low")])
def test_contraction_bands(pc, expected):
    t = {"Posterior Contraction": {"p": pc}, "Calibration Error": {"p": 0.01}}
    assert check_diagnostics(t)["parameters"]["p"]["contraction"] == expected


def test_overconfident_when_high_contraction_and_poor_calibration():
    t = {
        "Posterior Contraction": {"p": 0.97, "q": 0.6},
        "Calibration Error": {"p": 0.3, "q": 0.3},
        "NRMSE": {"p": 0.1, "q": 0.1},
        "Posterior z-score SD": {"p": 1.8},  # the direction: z-scores spread too wide = posterior too narrow
    }
    report = check_diagnostics(t)
    assert report["parameters"]["p"]["contraction"] == OVERCONFIDENT
    assert report["parameters"]["q"]["contraction"] == "medium"  # poor calibration alone is not overconfidence
    assert "overconfident" in report["summary"]["p"]
    assert "overconfident (too narrow) for p" in report["overall"]["summary"]
    assert "direction unknown" in report["summary"]["q"]


def test_missing_metric_rows_are_reported_not_invented():
    report = check_diagnostics({"Calibration Error": {"p": 0.01}})
    r = report["parameters"]["p"]
    assert r["recovery"] is None and r["contraction"] is None
    assert r["summary"] == (
        "excellent calibration; recovery not available; contraction not available; "
        "Log Gamma, NRMSE and Posterior Contraction missing or not finite"
    )
    assert report["overall"]["ok"] is False  # a missing metric is never good (issue 16 item 15)


def test_rmse_instead_of_nrmse_is_accepted_but_not_rated():
    t = dict(HEALTHY)
    t["RMSE"] = t.pop("NRMSE")
    report = check_diagnostics(t)
    assert report["recovery_metric"] == "RMSE"
    assert report["parameters"]["a"]["recovery"] is None
    assert "recovery not rated (unnormalised RMSE)" in report["summary"]["a"]
    assert report["parameters"]["a"]["calibration"] == "excellent"


def test_metric_name_aliases():
    t = {"ECE": {"p": 0.01}, "nrmse": {"p": 0.05}, "posterior contraction": {"p": 0.9}, "log_gamma": {"p": 1.0}}
    assert ratings(check_diagnostics(t)) == {"p": ("excellent", "excellent", "high")}


def test_nan_metric_counts_as_missing():
    t = {"NRMSE": {"p": float("nan")}, "Calibration Error": {"p": 0.01}}
    report = check_diagnostics(t)
    assert report["parameters"]["p"]["recovery"] is None
    json.dumps(report, allow_nan=False)


def test_thresholds_never_appear_in_texts():
    numbers = set()
    for group in THRESHOLDS.values():
        for v in group.values():
            numbers |= {repr(v), f"{v:g}", f"{v:.2f}"}
    numbers.discard("0")
    tables = [HEALTHY, FACTS, {"Posterior Contraction": {"p": 0.97}, "Calibration Error": {"p": 0.3}}]
    for t in tables:
        report = check_diagnostics(t)
        texts = list(all_text(report)) + suggest_next_steps(None, report)
        for text in texts:
            for n in numbers:
                assert n not in text, (n, text)


# ------------------------------------------------------------------ input forms


def test_dataframe_both_orientations_and_tuple_agree(requires_pandas):
    expected = ratings(check_diagnostics(FACTS))
    assert ratings(check_diagnostics(frame(FACTS))) == expected
    assert ratings(check_diagnostics(frame(FACTS, transpose=True))) == expected
    assert ratings(check_diagnostics(as_tuple_of_dicts(FACTS))) == expected
    assert ratings(check_diagnostics(list(as_tuple_of_dicts(FACTS)))) == expected


def test_csv_with_empty_first_header_cell(tmp_path, requires_pandas):
    path = tmp_path / "metrics.csv"
    frame(FACTS).to_csv(path)
    assert path.read_text().splitlines()[0] == ",mu,sigma"
    assert ratings(check_diagnostics(path)) == ratings(check_diagnostics(FACTS))
    assert ratings(check_diagnostics(str(path))) == ratings(check_diagnostics(FACTS))


def test_transposed_csv(tmp_path, requires_pandas):
    path = tmp_path / "metrics.csv"
    frame(FACTS, transpose=True).to_csv(path)
    assert path.read_text().splitlines()[0].startswith(",NRMSE,")
    assert ratings(check_diagnostics(path)) == ratings(check_diagnostics(FACTS))


def test_csv_without_pandas_uses_csv_module(tmp_path, monkeypatch):
    path = tmp_path / "metrics.csv"
    path.write_text(
        ",mu,sigma\nNRMSE,0.540565,0.586989\nLog Gamma,-0.95122,-6.680488\n"
        "Calibration Error,0.079211,0.065921\nPosterior Contraction,0.671209,0.63532\n"
    )
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    assert ratings(check_diagnostics(path)) == ratings(check_diagnostics(FACTS))


def test_dataframe_input_does_not_need_the_module_level_pandas_import():
    code = (
        "import sys; from bflint.runtime import check_diagnostics; "
        "check_diagnostics({'NRMSE': {'p': 0.1}}); print('pandas' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


# ------------------------------------------------------------------ unreadable tables


@pytest.mark.parametrize(
    "bad",
    [
        {"foo": {"p": 1.0}, "bar": {"p": 2.0}},
        {"NRMSE": {"p": "high"}},
        {"NRMSE": 0.3},
        (),
        ({"values": [1.0]},),
        ({"values": [1.0, 2.0], "metric_name": "NRMSE", "variable_names": ["a"]},),
        42,
        "",
    ],
)
def test_wrong_tables_raise_clear_errors(bad):
    with pytest.raises(DiagnosticsTableError) as info:
        check_diagnostics(bad)
    assert isinstance(info.value, ValueError)


def test_wrong_dataframe_names_expected_rows(requires_pandas):
    import pandas as pd

    with pytest.raises(DiagnosticsTableError, match="Calibration Error"):
        check_diagnostics(pd.DataFrame({"x": [1.0, 2.0]}, index=["loss", "val_loss"]))


@pytest.mark.parametrize(
    "content",
    ["", "just some words\n", "a,b\n1,2\n", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"],
)
def test_unreadable_csv_files(tmp_path, content):
    path = tmp_path / "metrics.csv"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    with pytest.raises(DiagnosticsTableError):
        check_diagnostics(path)


def test_missing_csv(tmp_path):
    with pytest.raises(DiagnosticsTableError, match="does not exist|cannot read"):
        check_diagnostics(tmp_path / "missing.csv")


# ------------------------------------------------------------------ next steps


def healthy_training():
    import math

    loss = [1.0 + 0.8 * math.exp(-i / 6) for i in range(60)]
    return inspect_history({"loss": loss, "val_loss": [v + 0.02 for v in loss]})


def test_nan_loss_comes_first_of_all():
    tr = inspect_history({"loss": [1.0, float("nan")] * 10, "val_loss": [1.0] * 20})
    steps = suggest_next_steps(tr, check_diagnostics(FACTS))
    assert len(steps) == 1 and "NaN" in steps[0]


def test_healthy_leads_to_real_data():
    steps = suggest_next_steps(healthy_training(), check_diagnostics(HEALTHY))
    assert "workflow.sample" in steps[0] and "posterior predictive" in steps[0]
    assert any("fit_online" in s for s in steps)


def test_calibration_bad_recovery_good():
    t = {"Calibration Error": {"p": 0.3}, "NRMSE": {"p": 0.05}, "Posterior Contraction": {"p": 0.6}}
    steps = suggest_next_steps(healthy_training(), check_diagnostics(t))
    assert len(steps) == 1
    assert "twice the number of epochs" in steps[0] and "Large" in steps[0]


def test_recovery_bad_calibration_good():
    t = {"Calibration Error": {"p": 0.01}, "NRMSE": {"p": 0.9}, "Posterior Contraction": {"p": 0.2}}
    steps = suggest_next_steps(healthy_training(), check_diagnostics(t))
    assert len(steps) == 1 and "non-identifiable" in steps[0]


def test_calibration_is_trusted_first():
    t = {
        "Calibration Error": {"a": 0.01, "b": 0.3},
        "NRMSE": {"a": 0.9, "b": 0.05},
        "Posterior Contraction": {"a": 0.2, "b": 0.95},
        "Posterior z-score SD": {"a": 1.0, "b": 1.7},
    }
    steps = suggest_next_steps(healthy_training(), check_diagnostics(t))
    cal = next(i for i, s in enumerate(steps) if "Calibration is poor for b" in s)
    rec = next(i for i, s in enumerate(steps) if "Recovery is poor for a" in s)
    over = next(i for i, s in enumerate(steps) if "overconfident" in s)
    assert cal < over < rec


def test_training_problems_before_diagnostics():
    loss = [10.0 - 0.15 * i for i in range(40)]
    tr = inspect_history({"loss": loss})  # no val_loss, still falling
    steps = suggest_next_steps(tr, check_diagnostics(FACTS))
    assert "validation_data" in steps[0]
    assert "twice the number of epochs" in steps[1]
    assert not any("workflow.sample" in s for s in steps)


def test_overfitting_step():
    loss = [1.0 + 0.8 * 2.718 ** (-i / 6) for i in range(60)]
    tr = inspect_history({"loss": loss, "val_loss": [v * 1.5 for v in loss]})
    steps = suggest_next_steps(tr, check_diagnostics(HEALTHY))
    assert "dropout" in steps[0]
    assert not any("workflow.sample" in s for s in steps)


def test_no_reports_at_all():
    steps = suggest_next_steps(None, None)
    assert steps and "compute_default_diagnostics" in steps[0]


# ------------------------------------------------------------------ command lines


def write_csv(tmp_path, table=FACTS):
    lines = [",".join([""] + list(next(iter(table.values()))))]
    for m, row in table.items():
        lines.append(",".join([m] + [repr(v) for v in row.values()]))
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def write_history(tmp_path, hist):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(hist))
    return str(path)


def test_main_outputs_ratings_summary_and_next_steps(tmp_path, capsys):
    assert main(["--metrics", write_csv(tmp_path)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["parameters"]["sigma"]["calibration"] == "poor"
    assert set(out) >= {"parameters", "summary", "overall", "next_steps"}
    assert main(["--metrics", write_csv(tmp_path, HEALTHY)]) == 0


def test_main_with_history(tmp_path, capsys):
    hist = write_history(tmp_path, {"loss": [1.0, float("nan")] * 5, "val_loss": [1.0] * 10})
    assert main(["--metrics", write_csv(tmp_path, HEALTHY), "--history", hist]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["training"]["ok"] is False
    assert len(out["next_steps"]) == 1 and "NaN" in out["next_steps"][0]


def test_python_dash_m_exit_codes(tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "bflint.runtime.check_diagnostics", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    ok = run("--metrics", write_csv(tmp_path, HEALTHY))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["overall"]["ok"] is True
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    proc = run("--metrics", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Calibration Error" in proc.stderr
    assert "Traceback" not in proc.stderr
    broken_hist = tmp_path / "h.json"
    broken_hist.write_text("{")
    proc = run("--metrics", write_csv(tmp_path, HEALTHY), "--history", str(broken_hist))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_click_command(tmp_path):
    runner = CliRunner()
    res = runner.invoke(check_diagnostics_command, [write_csv(tmp_path)])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["summary"]["mu"] == "fair calibration; poor recovery; medium contraction"
    res = runner.invoke(check_diagnostics_command, [write_csv(tmp_path, HEALTHY)])
    assert res.exit_code == 0
    res = runner.invoke(check_diagnostics_command, [str(tmp_path / "missing.csv")])
    assert res.exit_code == 2 and "error:" in res.stderr
    hist = write_history(tmp_path, {"loss": [1.0] * 3})
    res = runner.invoke(check_diagnostics_command, [write_csv(tmp_path, HEALTHY), "--history", hist])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["training"]["ok"] is False


def test_unfinished_training_defers_architecture_changes():
    tr = inspect_history({"loss": [3.0, 2.0], "val_loss": [3.1, 2.2]})  # a 2-epoch smoke run
    steps = suggest_next_steps(tr, check_diagnostics(FACTS))
    assert "100 epochs" in steps[0]
    assert "Re-run the in-silico diagnostics once training is fixed" in steps[-1]
    assert "calibration is poor for sigma" in steps[-1]
    assert not any("Large" in s or "capacity" in s for s in steps)
