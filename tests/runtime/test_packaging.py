"""The runtime companion without the optional extra: light imports and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from bflint.runtime import MissingRuntimeDependency, save_diagnostic_figures, write_report

BLOCKER = textwrap.dedent(
    """
    import sys

    class _Block:
        # Pretend the runtime extra is not installed.
        BLOCKED = ("bayesflow", "pandas", "matplotlib", "keras", "jax")

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, _Block())
    """
)


def run_blocked(body: str, *args: str) -> subprocess.CompletedProcess:
    code = BLOCKER + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


def test_runtime_works_without_the_extra_for_histories_and_csv(tmp_path):
    csv = tmp_path / "metrics.csv"
    csv.write_text(",mu\nNRMSE,0.05\nLog Gamma,1.0\nCalibration Error,0.01\nPosterior Contraction,0.9\n")
    hist = tmp_path / "history.json"
    hist.write_text(json.dumps({"loss": [1.0] * 10, "val_loss": [1.0] * 10}))
    proc = run_blocked(
        """
        import json, sys
        import bflint, bflint.runtime, bflint.runtime.cli
        from bflint.runtime import inspect_history, check_diagnostics, suggest_next_steps, write_report
        from bflint.runtime.template import render
        tr = inspect_history(sys.argv[2])
        dr = check_diagnostics(sys.argv[1])
        write_report(sys.argv[3], training_report=tr, diag_report=dr)
        render("x", "set")
        try:
            import pandas  # noqa: F401
        except ImportError:
            pass
        else:
            raise SystemExit("the blocker did not block pandas")
        assert not [m for m in sys.modules if m.split(".")[0] in _Block.BLOCKED]
        print(json.dumps([tr["overall"]["ok"], dr["summary"]["mu"]]))
        """,
        str(csv),
        str(hist),
        str(tmp_path / "out"),
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [True, "excellent calibration; excellent recovery; high contraction"]
    assert (tmp_path / "out" / "report.md").exists()


def test_missing_matplotlib_names_the_extra(tmp_path):
    proc = run_blocked(
        """
        import sys
        from bflint.runtime import save_diagnostic_figures

        class FakeFigure:
            def savefig(self, path, **kwargs):
                open(path, "wb").close()

        try:
            save_diagnostic_figures({"recovery": FakeFigure()}, sys.argv[1])
        except ImportError as exc:
            print(type(exc).__name__, exc)
        """,
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("MissingRuntimeDependency")
    assert 'pip install "bflint[runtime]"' in proc.stdout and "matplotlib" in proc.stdout


def test_missing_numpy_for_posterior_draws_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(MissingRuntimeDependency, match=r'bflint\[runtime\]'):
        write_report(tmp_path, posterior_summary={"mu": [0.1, 0.2, 0.3]})


def test_missing_runtime_dependency_is_an_import_error():
    assert issubclass(MissingRuntimeDependency, ImportError)


def test_save_diagnostic_figures_with_fake_figure_and_keep_open(tmp_path):
    class FakeFigure:
        def savefig(self, path, **kwargs):
            open(path, "wb").close()

    # close=False never touches matplotlib, so this works without it
    paths = save_diagnostic_figures({"coverage": FakeFigure()}, tmp_path, close=False)
    assert paths == [str(tmp_path / "coverage.png")]


def test_need_skips_or_fails_under_ci(need_helper, monkeypatch):
    monkeypatch.delenv("BFLINT_REQUIRE_RUNTIME", raising=False)
    with pytest.raises(pytest.skip.Exception, match="bflint_no_such_package"):
        need_helper("bflint_no_such_package")
    monkeypatch.setenv("BFLINT_REQUIRE_RUNTIME", "1")
    with pytest.raises(pytest.fail.Exception, match="BFLINT_REQUIRE_RUNTIME=1"):
        need_helper("bflint_no_such_package")
    need_helper("json")  # present: neither skips nor fails
