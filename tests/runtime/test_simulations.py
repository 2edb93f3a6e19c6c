"""Issue 15 §3: check_simulations, the guide's step 6 (simulation sanity checks before training)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bflint.runtime import check_simulations
from bflint.runtime.simulations import adapter_constrained_keys


def sims(n=500, seed=0):
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 1, (n, 1))
    sigma = rng.gamma(2.0, 0.5, (n, 1))
    x = rng.normal(mu, sigma, (n, 50))
    return {"mu": mu, "sigma": sigma, "x": x}


class Constrain:  # same class name as bayesflow.adapters.transforms.Constrain
    pass


class MapTransform:
    def __init__(self, mapping):
        self.transform_map = mapping


class FakeAdapter:
    def __init__(self, *constrained):
        self.transforms = [MapTransform({k: Constrain()}) for k in constrained]


def statuses(report):
    return {k: v["status"] for k, v in report["checks"].items()}


def test_healthy_simulations_pass():
    report = check_simulations(sims(), parameters=["mu", "sigma"], adapter=FakeAdapter("sigma"), standardize="all")
    assert report["overall"]["ok"], report["overall"]["issues"]
    assert statuses(report) == {"finite": "pass", "degenerate": "pass", "scale": "pass", "bounds": "pass",
                                "observed": "skipped"}
    json.dumps(report, allow_nan=False)


def test_nan_and_inf_fail():
    d = sims()
    d["x"][3, 4] = np.nan
    d["x"][5, 0] = np.inf
    report = check_simulations(d, parameters=["mu", "sigma"])
    assert statuses(report)["finite"] == "fail"
    assert report["checks"]["finite"]["evidence"]["non_finite"] == {"x": 2}
    json.dumps(report, allow_nan=False)


def test_constant_and_identical_keys_are_degenerate():
    d = sims()
    d["mu"] = np.full_like(d["mu"], 0.5)
    d["x"] = np.tile(np.linspace(0, 1, 50), (500, 1))
    report = check_simulations(d, parameters=["mu", "sigma"])
    ev = report["checks"]["degenerate"]["evidence"]
    assert ev["constant"] == ["mu"] and ev["identical_across_simulations"] == ["x"]
    assert len(report["overall"]["issues"]) == 2


def test_scale_needs_standardize_unless_the_workflow_does_it():
    d = sims()
    d["x"] = d["x"] * 1e5
    assert statuses(check_simulations(d, parameters=["mu", "sigma"]))["scale"] == "fail"
    assert statuses(check_simulations(d, parameters=["mu", "sigma"], standardize="all"))["scale"] == "pass"
    partial = check_simulations(d, parameters=["mu", "sigma"], standardize=["inference_variables"])
    assert statuses(partial)["scale"] == "fail"


def test_one_sided_parameter_without_constrain_is_the_runtime_twin_of_bf103():
    report = check_simulations(sims(), parameters=["mu", "sigma"], adapter=FakeAdapter())
    assert statuses(report)["bounds"] == "fail"
    assert "sigma" in report["checks"]["bounds"]["message"] and "mu" not in report["checks"]["bounds"]["message"]
    assert any(".constrain" in i for i in report["overall"]["issues"])
    ok = check_simulations(sims(), parameters=["mu", "sigma"], adapter=FakeAdapter("sigma"))
    assert statuses(ok)["bounds"] == "pass"
    assert statuses(check_simulations(sims(), parameters=["mu", "sigma"]))["bounds"] == "skipped"


def test_observed_outside_the_simulated_range_fails():
    d = sims()
    inside = {"x": np.random.default_rng(1).normal(0.3, 1.0, (1, 50))}
    assert statuses(check_simulations(d, inside, parameters=["mu", "sigma"]))["observed"] == "pass"
    far = {"x": inside["x"] + 1000.0}
    report = check_simulations(d, far, parameters=["mu", "sigma"])
    assert statuses(report)["observed"] == "fail"
    assert any("prior predictive" in i for i in report["overall"]["issues"])
    narrow = {"x": np.zeros((1, 50)) + 0.01 * np.arange(50) / 50}  # inside the range, spread far too small
    assert statuses(check_simulations(d, narrow, parameters=["mu", "sigma"]))["observed"] == "fail"


def test_prior_predictive_figure(tmp_path):
    pytest.importorskip("matplotlib")
    report = check_simulations(sims(), {"x": np.zeros((1, 50))}, parameters=["mu", "sigma"], results_dir=tmp_path)
    assert report["figure"] == "prior_predictive.png"
    assert (tmp_path / "prior_predictive.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError):
        check_simulations({})
    with pytest.raises(ValueError):
        check_simulations({"a": "text"})


def test_reads_a_real_bayesflow_adapter(requires_runtime):
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import bayesflow as bf

    adapter = bf.Adapter().as_set(["x"]).constrain("sigma", lower=0).constrain(["a", "b"], lower=-1, upper=1)
    assert adapter_constrained_keys(adapter) == {"sigma", "a", "b"}
