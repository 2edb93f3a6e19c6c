"""BayesFlow API data: drift against the installed library, and the loader (without bayesflow)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

import pytest

from bflint import bayesflow_api

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "scripts" / "gen_bayesflow_api.py"


# --------------------------------------------------------------------------- drift


def _runtime_python() -> str:
    """Interpreter used for the drift test: $BFLINT_BAYESFLOW_PYTHON if set, else this one."""
    return os.environ.get("BFLINT_BAYESFLOW_PYTHON") or sys.executable


def _clean_env() -> dict:
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "jax")
    env["KERAS_HOME"] = tempfile.mkdtemp(prefix="bflint-keras-")
    env["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="bflint-mpl-")
    env["MPLBACKEND"] = "Agg"
    return env


def _bayesflow_importable(python: str) -> bool:
    probe = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('bayesflow') else 1)"
    try:
        return subprocess.run([python, "-c", probe], env=_clean_env(), timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_generated_data_matches_installed_bayesflow():
    python = _runtime_python()
    if not _bayesflow_importable(python):
        if os.environ.get("BFLINT_REQUIRE_RUNTIME") == "1":
            pytest.fail(f"bayesflow is not importable with {python} but BFLINT_REQUIRE_RUNTIME=1")
        pytest.skip("bayesflow not importable (set BFLINT_BAYESFLOW_PYTHON to a 3.12 env with bayesflow)")
    proc = subprocess.run(
        [python, str(GENERATOR), "--check"],
        cwd=REPO,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (
        "bflint/data/bayesflow_api.json is out of date; run scripts/gen_bayesflow_api.py\n"
        + proc.stdout[-3000:]
        + proc.stderr[-3000:]
    )


def test_generated_data_of_every_series_matches_its_release():
    """Issue 13 §5: the 2.0 data is what bayesflow==2.0.14 gives (the generator installs it into a
    temporary environment, or reuses $BFLINT_VENV_DIR/bayesflow-2.0.14), and the 2.1 data 2.1.0's."""
    venv_dir = os.environ.get("BFLINT_VENV_DIR") or str(Path(tempfile.gettempdir()) / "bflint-gen-venvs")
    proc = subprocess.run(
        [_runtime_python(), str(GENERATOR), "--series", "all", "--check", "--venv-dir", venv_dir],
        cwd=REPO, env=_clean_env(), capture_output=True, text=True, timeout=1200,
    )
    if proc.returncode == 3 and os.environ.get("BFLINT_REQUIRE_RUNTIME") != "1":
        pytest.skip("cannot install the BayesFlow releases here: " + proc.stderr[-500:])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "bayesflow_api_2.0.json: up to date" in proc.stdout
    assert "bayesflow_api.json: up to date" in proc.stdout


def test_series_tables_agree():
    from bflint import target

    spec = importlib.util.spec_from_file_location("gen_bayesflow_api", GENERATOR)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert {s: r for s, (r, _) in gen.SERIES.items()} == target.RELEASES
    assert {s: out.name for s, (_, out) in gen.SERIES.items()} == bayesflow_api.DATA_FILES
    for series, release in target.RELEASES.items():
        with bayesflow_api.use_target(series):
            assert bayesflow_api.meta()["bayesflow_version"] == release


def test_lookups_follow_the_target():
    """2.0.14 has `workflow.approximator` and `ContinuousApproximator`, no `bf.BasicEstimator`."""
    with bayesflow_api.use_target("2.0"):
        assert "approximator" not in bayesflow_api.workflow_members() or True
        assert "load_approximator" in bayesflow_api.workflow_members()
        assert "BasicEstimator" not in bayesflow_api.public_names("bayesflow")
        assert bayesflow_api.public_names("bayesflow.estimators") is None
    assert bayesflow_api.target() == "2.1"
    assert "BasicEstimator" in bayesflow_api.public_names("bayesflow")
    assert "load_approximator" not in bayesflow_api.workflow_members()


# --------------------------------------------------------------------------- data shape


def _load(name):
    return json.loads(resources.files("bflint.data").joinpath(name).read_text(encoding="utf-8"))


def test_api_json_shape_and_determinism():
    text = resources.files("bflint.data").joinpath("bayesflow_api.json").read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert len(text.encode()) < 300_000
    data = json.loads(text)
    assert {"meta", "modules", "signatures", "aliases", "network_defaults", "string_networks",
            "keras_fit_keywords", "workflow", "adapter_methods"} <= set(data)
    assert data["meta"]["bayesflow_version"].startswith("2.1")
    assert "/" not in json.dumps(data["meta"])  # no paths
    for qual, sig in data["signatures"].items():
        assert qual.startswith("bayesflow."), qual
        assert {"params", "var_kwargs", "keywords"} <= set(sig), qual


def test_legacy_json_sections():
    data = _load("bayesflow_legacy.json")
    for section in ("modules", "names", "keywords", "methods", "removed_2x"):
        assert data[section], section
        for name, entry in data[section].items():
            assert isinstance(entry["replacement"], str) and entry["replacement"], (section, name)


def test_legacy_names_are_not_current_top_level_names():
    current = bayesflow_api.public_names("bayesflow")
    for name in _load("bayesflow_legacy.json")["names"]:
        assert name not in current, name


# --------------------------------------------------------------------------- loader


def test_known_names():
    assert "BasicWorkflow" in bayesflow_api.public_names("bayesflow")
    assert "make_simulator" in bayesflow_api.public_names("bf")
    assert "SetTransformer" in bayesflow_api.public_names("bayesflow.networks")
    assert bayesflow_api.name_kind("bayesflow", "networks") == "module"
    assert bayesflow_api.name_kind("bayesflow", "BasicWorkflow") == "class"
    assert bayesflow_api.name_kind("bayesflow", "make_simulator") == "function"
    assert bayesflow_api.public_names("bayesflow.nope") is None
    assert bayesflow_api.is_known_module("bayesflow.networks")
    assert bayesflow_api.is_known_module("bayesflow.diagnostics.plots")
    assert not bayesflow_api.is_known_module("bayesflow.trainers")
    assert not bayesflow_api.is_known_module("bayesflow.amortizers")


def test_signatures():
    fit_kw = bayesflow_api.signature_keywords("bayesflow.BasicWorkflow.fit_offline")
    assert {"data", "epochs", "batch_size", "validation_data", "verbose", "callbacks"} <= fit_kw
    assert "val_data" not in fit_kw
    assert bayesflow_api.is_known_keyword("bayesflow.BasicWorkflow.fit_offline", "val_data") is False
    assert bayesflow_api.is_known_keyword("bayesflow.BasicWorkflow.fit_online", "validation_data") is True
    wf = bayesflow_api.signature_keywords("bayesflow.BasicWorkflow")
    assert {"simulator", "adapter", "inference_network", "summary_network", "standardize"} <= wf
    assert not wf & bayesflow_api.rejected_workflow_keywords()
    # aliases resolve to the same record
    assert bayesflow_api.signature_keywords("bayesflow.workflows.BasicWorkflow") == wf
    assert bayesflow_api.signature_keywords("bf.workflows.BasicWorkflow.fit_offline") == fit_kw
    assert {"embed_dims", "num_seeds", "summary_dim"} <= bayesflow_api.signature_keywords("bayesflow.networks.SetTransformer")
    assert bayesflow_api.is_known_keyword("bayesflow.networks.CouplingFlow", "subnet_kwrgs") is False
    assert bayesflow_api.is_known_keyword("bayesflow.networks.CouplingFlow", "subnet_kwargs") is True
    assert "meta_fn" in bayesflow_api.signature_keywords("bayesflow.make_simulator")
    assert {"lower", "upper"} <= bayesflow_api.signature_keywords("bayesflow.Adapter.constrain")
    assert bayesflow_api.signature_keywords("bayesflow.NoSuchThing") is None
    assert bayesflow_api.accepts_var_kwargs("bayesflow.BasicWorkflow.fit_offline") is True


def test_defaults():
    assert bayesflow_api.default_value("bayesflow.networks.CouplingFlow", "depth") == 6
    assert bayesflow_api.default_value("bayesflow.networks.SetTransformer", "summary_dim") == 16
    assert bayesflow_api.default_value("bayesflow.BasicWorkflow", "inference_network") == "coupling_flow"
    assert bayesflow_api.default_value("bayesflow.BasicWorkflow.fit_offline", "epochs") == 100
    assert bayesflow_api.default_value("bayesflow.BasicWorkflow", "initial_learning_rate") == pytest.approx(5e-4)
    with pytest.raises(KeyError):
        bayesflow_api.default_value("bayesflow.BasicWorkflow.fit_offline", "data")
    with pytest.raises(KeyError):
        bayesflow_api.default_value("bayesflow.BasicWorkflow.fit_offline", "nope")
    widths = bayesflow_api.subnet_defaults("bayesflow.networks.CouplingFlow")["widths"]
    assert all(isinstance(w, int) for w in widths) and widths
    assert bayesflow_api.network_role("bayesflow.networks.SetTransformer") == "summary"
    assert bayesflow_api.network_role("bayesflow.networks.FlowMatching") == "inference"
    assert bayesflow_api.network_role("bayesflow.networks.MLP") == "subnet"


def test_string_networks_and_tables():
    assert {"coupling_flow", "flow_matching", "diffusion_model", "consistency_model"} <= bayesflow_api.string_network_names(
        "inference"
    )
    assert {"set_transformer", "deep_set", "time_series_network"} <= bayesflow_api.string_network_names("summary")
    assert {"mlp", "time_mlp", "diffusion_transformer"} <= bayesflow_api.string_network_names("subnet")
    assert "unet" not in bayesflow_api.string_network_names("subnet")
    assert "FlowMatching" not in bayesflow_api.string_network_names("inference")
    assert "convolutional_network" not in bayesflow_api.string_network_names("summary")
    assert bayesflow_api.rejected_workflow_keywords() == {"inference_kwargs", "summary_kwargs", "optimizer_kwargs"}
    assert {"validation_data", "verbose", "callbacks", "epochs"} <= bayesflow_api.keras_fit_keywords()
    assert {"constrain", "concatenate", "as_set", "rename", "standardize"} <= bayesflow_api.adapter_methods()
    assert bayesflow_api.deprecated_alias("bayesflow.ContinuousApproximator") == "bayesflow.BasicEstimator"


def test_closest_and_legacy():
    assert bayesflow_api.closest("SetTransfomer", bayesflow_api.public_names("bayesflow.networks")) == "SetTransformer"
    assert bayesflow_api.closest("Zzzzz", bayesflow_api.public_names("bayesflow.networks")) is None
    assert "BasicWorkflow" in bayesflow_api.legacy("Trainer")
    assert "BasicEstimator" in bayesflow_api.legacy("AmortizedPosterior")
    assert "make_simulator" in bayesflow_api.legacy("GenerativeModel")
    assert "CouplingFlow" in bayesflow_api.legacy("InvertibleNetwork")
    assert "Adapter" in bayesflow_api.legacy("configurator", "keywords")
    assert "fit_offline" in bayesflow_api.legacy("train_offline", "methods")
    assert bayesflow_api.legacy("trainers", "modules")
    assert "BasicEstimator" in bayesflow_api.legacy("ContinuousApproximator", "removed_2x")
    assert bayesflow_api.legacy("BasicWorkflow") is None


def test_api_import_does_not_import_bayesflow():
    code = (
        "import sys, bflint.bayesflow_api as a; a.api_data(); a.legacy_data(); "
        "a.signature_keywords('bayesflow.BasicWorkflow'); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('bayesflow', 'keras', 'jax', 'numpy')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
