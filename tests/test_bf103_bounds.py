"""BF103's advice gives the bounds of the draw's support (issue 11 §4): scipy's
``uniform(loc, scale)`` is [loc, loc + scale], a truncated normal behind a helper is
[low, high], a clipped value is its clip bounds, a product of positive draws is positive."""
from __future__ import annotations

import pytest

from bflint.api import lint_source

HEAD = """import bayesflow as bf
import numpy as np
import scipy.stats as st
from scipy.stats import truncnorm


def truncated_normal(mean, std, low, high):
    a, b = (low - mean) / std, (high - mean) / std
    return truncnorm.rvs(a, b, loc=mean, scale=std)


def prior():
    return {{"theta": {draw}}}


def likelihood(theta):
    return {{"x": np.random.normal(0, 1, size=(10, 1))}}


wf = bf.BasicWorkflow(
    simulator=bf.make_simulator([prior, likelihood]),
    adapter=bf.Adapter().concatenate(["theta"], into="inference_variables")
    .concatenate(["x"], into="summary_variables"),
    summary_network=bf.networks.SetTransformer(),
    standardize="all",
)
"""


@pytest.mark.parametrize("draw, bounds", [
    ("st.uniform.rvs(loc=1, scale=2)", "lower=1, upper=3"),
    ("st.uniform.rvs(1, 2)", "lower=1, upper=3"),
    ("st.uniform(loc=-1, scale=0.5).rvs()", "lower=-1, upper=-0.5"),
    ("st.uniform.rvs(scale=4)", "lower=0, upper=4"),
    ("truncated_normal(mean=-55, std=2, low=-60, high=-50)", "lower=-60, upper=-50"),
    ("truncated_normal(0, 1, 0, np.random.gamma(1.0))", "lower=0, upper=..."),
    ("truncnorm.rvs(0, np.inf, loc=2, scale=3)", "lower=2"),
    ("np.clip(np.random.normal(), 5, 20)", "lower=5, upper=20"),
    ("np.random.normal().clip(0, None)", "lower=0"),
    ("np.random.lognormal() * np.random.gamma(2.0)", "lower=0"),
    ("np.random.uniform(1, 2) + np.random.uniform(0, 3)", "lower=1, upper=5"),
    ("np.random.uniform(1, 2) / np.random.uniform(2, 4)", "lower=0.25, upper=1"),
    ("np.array([np.random.beta(1, 1) * -0.01])", "lower=-0.01, upper=0"),
])
def test_advice_gives_the_bounds(draw: str, bounds: str) -> None:
    found = [f for f in lint_source(HEAD.format(draw=draw), select=["BF103"])]
    assert len(found) == 1, found
    assert f'.constrain("theta", {bounds})' in (found[0].help or ""), found[0].help


@pytest.mark.parametrize("draw", [
    "np.random.normal() * np.random.lognormal()",
    "np.random.lognormal() - np.random.gamma(2.0)",
    "np.random.uniform(1, 2) / np.random.normal()",
    "truncnorm.rvs(-np.inf, np.inf)",
    "np.clip(np.random.normal(), None, None)",
])
def test_unbounded_combinations_are_silent(draw: str) -> None:
    assert lint_source(HEAD.format(draw=draw), select=["BF103"]) == []


def test_keys_of_a_bounds_dict_are_static() -> None:
    """``list(BOUNDS.keys())`` names the keys routed by the shorthand (issue 11 §4)."""
    src = """import bayesflow as bf
import numpy as np

BOUNDS = {"a": (0.0, 1.0), "b": (2.0, 3.0)}
KEYS = list(BOUNDS.keys())


def prior():
    return {"a": np.random.uniform(0, 1), "b": np.random.uniform(2, 3)}


def lik(a, b):
    return {"x": np.random.normal(a, b, size=(5, 1))}


wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior, lik]), inference_variables=KEYS,
                      summary_variables=["x"], summary_network=bf.networks.SetTransformer(),
                      standardize="all")
"""
    found = lint_source(src, select=["BF103"])
    assert sorted(f.message.split("`")[1] for f in found) == ["a", "b"]


def test_a_helper_parameter_rebound_inside_is_not_substituted() -> None:
    """``low`` is shifted inside the helper: the call's ``low=0`` is not its value."""
    src = HEAD.format(draw="clipped(0, 1)").replace("def prior():", '''def clipped(low, high):
    low -= 10
    return np.clip(np.random.normal(), low, high)


def prior():''')
    found = lint_source(src, select=["BF103"])
    assert len(found) == 1
    assert '.constrain("theta", lower=..., upper=1)' in (found[0].help or ""), found[0].help
