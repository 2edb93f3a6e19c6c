"""End-to-end: generate workflow scripts and run them with --smoke on the real BayesFlow (JAX, CPU).

These tests need the runtime extra; they are skipped without it unless BFLINT_REQUIRE_RUNTIME=1.
A smoke run takes about 30-70 s of CPU time; the module runs them two at a time in the background
(the first test that needs one starts them all), so the whole module takes about 2-3 minutes on
a 2-core machine. Deselect them with ``-m "not runtime_smoke"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bflint.runtime import check_diagnostics, inspect_history
from bflint.runtime.template import write_script

pytestmark = pytest.mark.runtime_smoke

FIGURES = ["loss.png", "recovery.png", "calibration_ecdf.png", "calibration_histogram.png", "coverage.png",
           "z_score_contraction.png", "prior_predictive.png"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RATINGS = {
    "calibration": {"excellent", "fair", "poor", None},
    "recovery": {"excellent", "good", "fair", "poor", None},
    "contraction": {"high", "medium", "low", "poor — overconfident", None},
}
SMOKE_KINDS = {"set": "coin-set", "time-series": "demo-ts", "vector": "demo-vector", "image": "demo-image",
               "image-target": "denoise"}
SMOKE_TIMEOUT = 600


def _env(root):
    env = dict(os.environ)
    env.update(
        KERAS_BACKEND="jax",
        JAX_PLATFORMS="cpu",
        KERAS_HOME=str(root / "keras_home"),
        MPLCONFIGDIR=str(root / "mplconfig"),
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
    )
    return env


# The set run also exercises the options and the real-data hook (issue 15 §3); the others use the
# simulated stand-in.
EXTRA_ARGS = {"set": ["--observed", "observed.npy", "--seed", "7", "--draws", "40"]}


def _run(root, kind, slug):
    workdir = root / kind
    workdir.mkdir()
    script = write_script(slug, kind, workdir)
    if kind == "set":
        import numpy as np

        np.save(workdir / "observed.npy", np.random.default_rng(3).normal(0.5, 1.2, size=80))  # 80 != 50 obs
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, script, "--smoke", *EXTRA_ARGS.get(kind, [])], cwd=workdir, env=_env(root),
            capture_output=True, text=True, timeout=SMOKE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return workdir / slug, None, time.perf_counter() - start
    return workdir / slug, proc, time.perf_counter() - start


@pytest.fixture(scope="module")
def smoke_runs(request, tmp_path_factory):
    """Start every template's smoke run, two at a time; ``smoke_runs[kind]()`` waits for one."""
    request.getfixturevalue("requires_runtime_module")
    root = tmp_path_factory.mktemp("smoke")
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {kind: pool.submit(_run, root, kind, slug) for kind, slug in SMOKE_KINDS.items()}

    def result(kind):
        results, proc, elapsed = futures[kind].result()
        assert proc is not None, f"{kind} smoke run timed out after {SMOKE_TIMEOUT} s"
        assert proc.returncode == 0, f"{kind} smoke run failed after {elapsed:.0f} s:\n{proc.stderr[-4000:]}"
        print(f"{kind} smoke run: {elapsed:.1f} s")
        return results

    yield result
    pool.shutdown(wait=True, cancel_futures=True)


def check_standard_artefacts(results, params, real=False):
    history = json.loads((results / "history.json").read_text())
    assert set(history) >= {"loss", "val_loss"} and len(history["loss"]) == 2
    training = inspect_history(results / "history.json")
    assert training["checks"]["enough_epochs"]["status"] == "fail"  # 2 smoke epochs are too few to judge
    for name in FIGURES:
        assert (results / name).read_bytes()[:8] == PNG_MAGIC, name
    header = (results / "metrics.csv").read_text().splitlines()[0]
    assert header.startswith(",") and header.split(",")[1:] == params
    assert "Posterior z-score SD," in (results / "metrics.csv").read_text()
    diag = check_diagnostics(results / "metrics.csv")
    assert all(r["dispersion"] is not None for r in diag["parameters"].values())
    # files an agent can read (issue 15 §4)
    training_json = json.loads((results / "training_report.json").read_text())
    diag_json = json.loads((results / "diagnostics.json").read_text())
    for doc in (training_json, diag_json):
        run = doc["run"]
        assert run["versions"]["bayesflow"] == "2.1.0" and run["seed"] == (7 if real else 2025)
        assert run["budget"]["epochs"] == 2 and run["timings_s"]["training"] > 0 and run["peak_memory_mb"] > 0
    assert training_json["training"]["checks"]["enough_epochs"]["status"] == "fail"
    assert training_json["simulations"]["checks"]["finite"]["status"] == "pass"
    assert diag_json["diagnostics"]["summary"] == diag["summary"]
    assert diag_json["next_steps"] and set(diag_json["posterior_predictive"])
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
    for heading in ("## Setup", "## Simulation checks", "## Convergence assessment", "## In-silico diagnostics",
                    "### Recovery", "### Calibration", "### Contraction", "### Numerical summary",
                    "## Inference on observed data", "### Posterior predictive checks", "## Suggested next steps"):
        assert heading in report
    if real:
        assert "real data from observed.npy" in report and "simulated truth" not in report
        assert diag_json["run"]["budget"]["draws"] == 40
        assert training_json["simulations"]["checks"]["observed"]["status"] == "pass"
    else:
        assert "simulated stand-in" in report and "simulated truth" in report
    assert "](ppc_test_quantities.png)" in report
    assert (results / "ppc_test_quantities.png").read_bytes()[:8] == PNG_MAGIC
    return diag, report


def test_set_template_smoke_run_end_to_end(smoke_runs):
    results = smoke_runs("set")
    diag, report = check_standard_artefacts(results, ["mu", "sigma"], real=True)
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
def test_other_templates_smoke_run(smoke_runs, kind, params):
    check_standard_artefacts(smoke_runs(kind), params)


def test_image_target_smoke_run(smoke_runs):
    results = smoke_runs("image-target")
    history = json.loads((results / "history.json").read_text())
    assert len(history["loss"]) == 2 and len(history["val_loss"]) == 2
    assert (results / "sample_grid.png").read_bytes()[:8] == PNG_MAGIC
    report = (results / "report.md").read_text()
    assert "## Additional figures" in report and "](sample_grid.png)" in report
    assert "Inspect sample_grid.png" in report
    assert not (results / "metrics.csv").exists()
    # issue 15 §3: the image-target script writes what its docstring says (loss figure included)
    from bflint.runtime.template import ARTEFACTS

    written = {p.name for p in results.iterdir()}
    promised = {a for a in ARTEFACTS["image-target"] if " " not in a}
    assert promised <= written, promised - written
    assert "](loss.png)" in report
    assert json.loads((results / "diagnostics.json").read_text())["figures"] == ["sample_grid.png"]


DIAGNOSTIC_FORMS = '''
import os, pickle, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import bayesflow as bf

def prior():
    return {"mu": np.random.normal(0.0, 1.0), "sigma": np.random.gamma(2.0, 0.5)}

def observation_model(mu, sigma):
    return {"x": np.random.normal(mu, sigma, size=10)}

adapter = (
    bf.Adapter().as_set(["x"]).constrain("sigma", lower=0).convert_dtype("float64", "float32")
    .concatenate(["mu", "sigma"], into="inference_variables").concatenate(["x"], into="summary_variables")
)
workflow = bf.BasicWorkflow(
    simulator=bf.make_simulator([prior, observation_model]), adapter=adapter,
    inference_network=bf.networks.CouplingFlow(), summary_network=bf.networks.SetTransformer(summary_dim=4),
    standardize="all",
)
data = workflow.simulate(48)
workflow.fit_offline(data=data, epochs=1, batch_size=16, validation_data=workflow.simulate(16), verbose=2)
test = workflow.simulate(12)
samples = workflow.sample(conditions={"x": test["x"]}, num_samples=30)

def diagnostics(**kwargs):
    # Log gamma's null distribution is drawn with np.random: one seed per call keeps the forms comparable.
    np.random.seed(2)
    return workflow.compute_default_diagnostics(test_data=test, samples=samples, **kwargs)

out = {
    "frame": diagnostics(),
    "tuple": diagnostics(as_data_frame=False),
    "rmse": diagnostics(root_mean_squared_error_kwargs={"normalize": None}),
    "renamed": diagnostics(variable_names=["location", "scale"]),
}
with open(sys.argv[1], "wb") as f:
    pickle.dump(out, f)
'''


def test_real_diagnostics_output_forms(tmp_path, runtime_env, requires_runtime):
    """Every form compute_default_diagnostics really returns is read, with the same ratings."""
    import pickle

    script = tmp_path / "forms.py"
    script.write_text(DIAGNOSTIC_FORMS)
    out_path = tmp_path / "forms.pkl"
    proc = subprocess.run(
        [sys.executable, str(script), str(out_path)], env=runtime_env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    forms = pickle.loads(out_path.read_bytes())

    frame = forms["frame"]
    assert list(frame.columns) == ["mu", "sigma"]  # the layout the checker is built for
    expected = check_diagnostics(frame)
    ratings = {p: (r["calibration"], r["recovery"], r["contraction"]) for p, r in expected["parameters"].items()}

    def same(report):
        return {p: (r["calibration"], r["recovery"], r["contraction"]) for p, r in report["parameters"].items()}

    assert isinstance(forms["tuple"], (tuple, list)) and isinstance(forms["tuple"][0], dict)
    assert same(check_diagnostics(forms["tuple"])) == ratings
    assert same(check_diagnostics(frame.T)) == ratings  # transposed orientation
    frame.to_csv(tmp_path / "metrics.csv")
    assert (tmp_path / "metrics.csv").read_text().startswith(",mu,sigma")
    assert same(check_diagnostics(tmp_path / "metrics.csv")) == ratings

    rmse = check_diagnostics(forms["rmse"])
    assert "RMSE" in forms["rmse"].index and rmse["recovery_metric"] == "RMSE"
    assert all(r["recovery"] is None for r in rmse["parameters"].values())
    assert {p: r["calibration"] for p, r in rmse["parameters"].items()} == {p: r[0] for p, r in ratings.items()}

    renamed = check_diagnostics(forms["renamed"])
    assert list(renamed["parameters"]) == ["location", "scale"]


def test_script_help_lists_the_budget_options(tmp_path, runtime_env):
    script = write_script("helpme", "set", tmp_path)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, script, "--help"], env=runtime_env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    for option in ("--smoke", "--simulations", "--validation", "--epochs", "--batch-size", "--test-sets", "--draws",
                   "--sample-batch-size", "--seed", "--observed"):
        assert option in proc.stdout
    assert time.perf_counter() - start < 30  # argparse runs before bayesflow is imported
