"""Issue 11 §4: the built-in simulators' priors, measured by scripts/gen_bayesflow_api.py from
the installed BayesFlow (by reading each prior and by sampling) and shipped in the API data."""
import importlib.util
import os
from pathlib import Path

import pytest

from bflint import bayesflow_api

GENERATOR = Path(__file__).resolve().parents[1] / "scripts" / "gen_bayesflow_api.py"


def test_shipped_supports():
    lv = bayesflow_api.builtin_simulator("bayesflow.simulators.LotkaVolterra")
    assert lv["parameters"] == "parameters" and lv["outputs"]["parameters"] == [4]
    assert lv["support"]["family"] == "lognormal" and lv["support"]["low"] == 0
    assert lv["support"]["high"] is None
    moons = bayesflow_api.builtin_simulator("bf.simulators.TwoMoons".replace("bf.", "bayesflow."))
    assert (moons["support"]["low"], moons["support"]["high"]) == (-1.0, 1.0)
    assert moons["support"]["bound_keywords"] == ["lower_bound", "upper_bound"]
    # unbounded priors record no support
    assert bayesflow_api.builtin_simulator("bayesflow.simulators.GaussianLinear")["support"] is None
    assert bayesflow_api.builtin_simulator("bayesflow.simulators.make_simulator") is None


def test_measurement_from_the_installed_bayesflow():
    pytest.importorskip("bayesflow")
    os.environ.setdefault("KERAS_BACKEND", "jax")
    spec = importlib.util.spec_from_file_location("gen_bayesflow_api", GENERATOR)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    import bayesflow as bf

    measured = gen.measure_simulators(bf)
    assert measured["bayesflow.simulators.SIR"]["support"]["family"] == "lognormal"
    assert measured["bayesflow.simulators.SLCP"]["support"]["low"] == -3.0
    assert measured["bayesflow.simulators.InverseKinematics"]["support"] is None
    for name, record in measured.items():
        assert bayesflow_api.builtin_simulator(name) == record
