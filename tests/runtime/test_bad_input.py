"""Issue 16 items 14-16: the runtime CLIs and `bflint new` on hostile or broken input.

Every case must end in a clear one-line error (exit 2) or a correct verdict, never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bflint.runtime import HistoryError, check_diagnostics, inspect_history
from bflint.runtime.check_diagnostics import DiagnosticsTableError
from bflint.runtime.cli import check_diagnostics_command, inspect_training_command, new_command
from bflint.runtime.template import TemplateError, write_script


def healthy(n: int = 40) -> dict[str, list[float]]:
    loss = [0.5 + 1.0 * math.exp(-i / 4) + 0.005 * math.sin(2.1 * i) for i in range(n)]
    val = [v + 0.01 + 0.005 * math.cos(1.7 * i) for i, v in enumerate(loss)]
    return {"loss": loss, "val_loss": val}


def run_cli(command, args):
    result = CliRunner().invoke(command, args)
    # No traceback: click's runner stores an uncaught exception in result.exception (SystemExit is fine).
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# ------------------------------------------------------------------ item 14: inspect-training


@pytest.mark.parametrize(
    "name, payload, fragment",
    [
        ("nested", b"[" * 100_000 + b"]" * 100_000, "nested"),
        ("nested-dict", b'{"loss": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested"),
        ("latin1", '{"loss": [1.0, 2.0], "note": "caf\xe9"}'.encode("latin-1"), "UTF-8"),
        ("bigint", b'{"loss": [1' + b"0" * 400 + b', 1.0]}', "too large"),
        ("digits", b'{"loss": [' + b"7" * 5000 + b', 1.0]}', "digits"),
    ],
)
def test_inspect_training_bad_files_exit_2(tmp_path, name, payload, fragment):
    path = tmp_path / f"{name}.json"
    path.write_bytes(payload)
    with pytest.raises(HistoryError, match=fragment):
        inspect_history(path)
    result = run_cli(inspect_training_command, [str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_big_integer_in_memory_is_a_history_error():
    with pytest.raises(HistoryError, match="too large"):
        inspect_history({"loss": [10**400] + [1.0] * 9})


@pytest.mark.parametrize("value", [1e308, 1.7e308, -1e308, 1e200])
def test_val_loss_overflowing_is_not_go(value):
    h = healthy()
    h["val_loss"][-5:] = [value] * 5
    report = inspect_history(h)
    assert report["checks"]["finite_loss"]["status"] == "fail"
    assert report["overall"]["recommendation"] != "go"
    json.dumps(report, allow_nan=False)


def test_val_loss_overflow_from_a_file_is_not_go(tmp_path):
    h = healthy()
    text = json.dumps(h)
    h2 = json.loads(text)
    h2["val_loss"][-5:] = ["__BIG__"] * 5
    path = tmp_path / "history.json"
    path.write_text(json.dumps(h2).replace('"__BIG__"', "1e308"))
    result = run_cli(inspect_training_command, [str(path)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["overall"]["recommendation"] == "no-go"


# ------------------------------------------------------------------ item 15: check-diagnostics

METRICS = ("NRMSE", "Log Gamma", "Calibration Error", "Posterior Contraction")


def table(**overrides) -> dict[str, dict[str, float]]:
    base = {"NRMSE": 0.05, "Log Gamma": 1.0, "Calibration Error": 0.01, "Posterior Contraction": 0.95}
    base.update({k.replace("_", " "): v for k, v in overrides.items()})
    return {m: {"a": base[m], "b": base[m]} for m in METRICS}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_all_non_finite_table_is_never_healthy(value):
    t = {m: {"a": value, "b": value} for m in METRICS}
    report = check_diagnostics(t)
    assert report["overall"]["ok"] is False
    assert "Healthy" not in report["overall"]["summary"]
    json.dumps(report, allow_nan=False)


def test_all_nan_csv_exit_is_not_0(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(",a,b\n" + "".join(f"{m},nan,inf\n" for m in METRICS))
    result = run_cli(check_diagnostics_command, [str(path)])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["overall"]["ok"] is False


def test_nrmse_inf_is_poor_recovery():
    report = check_diagnostics(table(NRMSE=math.inf))
    assert report["parameters"]["a"]["recovery"] == "poor"
    assert report["overall"]["ok"] is False


@pytest.mark.parametrize("metric", METRICS)
def test_one_missing_or_nan_metric_is_never_good(metric):
    t = table()
    t[metric]["a"] = math.nan
    report = check_diagnostics(t)
    assert report["overall"]["ok"] is False, report["overall"]
    assert "Healthy" not in report["overall"]["summary"]
    t2 = table()
    del t2[metric]["a"]
    report2 = check_diagnostics(t2)
    assert report2["overall"]["ok"] is False
    assert "Healthy" not in report2["overall"]["summary"]


def test_missing_metric_row_is_never_healthy():
    t = table()
    del t["Posterior Contraction"]
    report = check_diagnostics(t)
    assert report["overall"]["ok"] is False
    assert report["parameters"]["a"]["contraction"] is None


def _metrics_csv(path: Path, n: int) -> Path:
    names = [f"p{i}" for i in range(n)]
    with open(path, "w") as fh:
        fh.write("," + ",".join(names) + "\n")
        for m, v in zip(METRICS, ("0.05", "1.0", "0.01", "0.95")):
            fh.write(m + ("," + v) * n + "\n")
    return path


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def test_100k_columns(tmp_path):
    # the quadratic reader took more than 10 minutes here; linear takes seconds (bound generous: loaded CI)
    report, elapsed = _timed(check_diagnostics, _metrics_csv(tmp_path / "metrics.csv", 100_000))
    assert len(report["parameters"]) == 100_000
    assert report["overall"]["ok"] is True
    assert report["parameters"]["p99999"]["recovery"] == "excellent"
    assert elapsed < 180, elapsed


def test_columns_and_rows_scale_linearly(tmp_path):
    # 8x the columns must cost far less than the 64x of a quadratic reader (machine load cancels out)
    small, large = 5_000, 40_000
    _, t_small = _timed(check_diagnostics, _metrics_csv(tmp_path / "s.csv", small))
    _, t_large = _timed(check_diagnostics, _metrics_csv(tmp_path / "l.csv", large))
    assert t_large < 25 * max(t_small, 1e-3), (t_small, t_large)
    # the transposed orientation (rows = parameters), via a mapping
    rows_small = {f"p{i}": {m: 0.05 for m in METRICS} for i in range(small)}
    rows_large = {f"p{i}": {m: 0.05 for m in METRICS} for i in range(large)}
    out, t_small = _timed(check_diagnostics, rows_small)
    assert len(out["parameters"]) == small
    _, t_large = _timed(check_diagnostics, rows_large)
    assert t_large < 25 * max(t_small, 1e-3), (t_small, t_large)


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "metrics.csv"
    path.write_text(text)
    return str(path)


DUP_COLUMNS = ",a,a\nNRMSE,0.05,0.9\nLog Gamma,1,1\nCalibration Error,0.01,0.01\nPosterior Contraction,0.9,0.9\n"
DUP_ROWS = (",a,b\nNRMSE,0.05,0.05\nNRMSE,0.9,0.9\nLog Gamma,1,1\nCalibration Error,0.01,0.01\n"
            "Posterior Contraction,0.9,0.9\n")
DUP_ALIAS = ",a\nCalibration Error,0.01\nECE,0.3\nNRMSE,0.05\nLog Gamma,1\nPosterior Contraction,0.9\n"


@pytest.mark.parametrize("text", [DUP_COLUMNS, DUP_ROWS, DUP_ALIAS], ids=["columns", "rows", "alias"])
def test_duplicates_rejected_the_same_way_on_every_path(tmp_path, text, monkeypatch):
    path = _write(tmp_path, text)
    with pytest.raises(DiagnosticsTableError, match="duplicate"):
        check_diagnostics(path)
    result = run_cli(check_diagnostics_command, [path])
    assert result.exit_code == 2 and "duplicate" in result.stderr
    # the DataFrame path
    pd = pytest.importorskip("pandas")
    import csv
    import io

    lines = list(csv.reader(io.StringIO(text)))
    df = pd.DataFrame([[float(x) for x in r[1:]] for r in lines[1:]], index=[r[0] for r in lines[1:]],
                      columns=lines[0][1:])
    with pytest.raises(DiagnosticsTableError, match="duplicate"):
        check_diagnostics(df)
    # ... and without pandas installed
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *a, **k):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("no pandas")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(DiagnosticsTableError, match="duplicate"):
        check_diagnostics(path)


# ------------------------------------------------------------------ item 16: bflint new


@pytest.mark.parametrize("slug", ["evil\n", "evil\r", "a\nb", "x\u2028", "ok-name\n"])
def test_new_rejects_slugs_with_line_breaks(tmp_path, slug):
    with pytest.raises(TemplateError, match="invalid slug"):
        write_script(slug, "set", tmp_path)
    result = run_cli(new_command, [slug, "--data", "set", "--output-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_a_dangling_symlink(tmp_path):
    target = tmp_path / "elsewhere" / "victim.py"
    target.parent.mkdir()
    link = tmp_path / "demo.py"
    link.symlink_to(target)
    with pytest.raises(TemplateError, match="symbolic link"):
        write_script("demo", "set", tmp_path)
    assert not target.exists() and link.is_symlink()
    result = run_cli(new_command, ["demo", "--data", "set", "--output-dir", str(tmp_path)])
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert not target.exists()


def test_new_force_replaces_the_link_itself(tmp_path):
    target = tmp_path / "victim.py"
    target.write_text("precious\n")
    link = tmp_path / "demo.py"
    link.symlink_to(target)
    path = write_script("demo", "set", tmp_path, force=True)
    assert target.read_text() == "precious\n"
    assert not os.path.islink(path) and "bayesflow" in Path(path).read_text()
    dangling = tmp_path / "demo2.py"
    dangling.symlink_to(tmp_path / "nowhere" / "x.py")
    write_script("demo2", "set", tmp_path, force=True)
    assert not dangling.is_symlink() and not (tmp_path / "nowhere").exists()


def test_new_refuses_a_directory_at_the_target(tmp_path):
    (tmp_path / "demo.py").mkdir()
    with pytest.raises(TemplateError):
        write_script("demo", "set", tmp_path, force=True)
