"""BF903: BayesFlow calls that do not supply a required argument (issue 17)."""
from __future__ import annotations

from bflint import bayesflow_api, lint_source
from bflint.bayesflow_api import missing_parameters


def _messages(src: str) -> list[str]:
    return [f.message for f in lint_source(src, filename="t.py", select=["BF903"])]


def _helps(src: str) -> list[str | None]:
    return [f.help for f in lint_source(src, filename="t.py", select=["BF903"])]


def test_standardize_message_says_what_to_do_in_2_1():
    src = 'import bayesflow as bf\nbf.Adapter().standardize(exclude=["n_obs"])\n'
    (msg,) = _messages(src)
    assert msg == (
        "`Adapter.standardize(...)` misses the required arguments `mean`, `std` in BayesFlow 2.1 "
        "(the call raises `TypeError`)"
    )
    assert _helps(src) == [
        "Pass `mean=` and `std=` computed from the training simulations, or drop the transform "
        "and let the workflow standardize (`BasicWorkflow(standardize=...)`)"
    ]


def test_constructor_missing_argument_names_it():
    (msg,) = _messages("import bayesflow as bf\nbf.networks.ConsistencyModel()\n")
    assert "misses the required argument `total_steps`" in msg


def test_supplied_positionally_by_keyword_or_unpacked():
    src = (
        "import bayesflow as bf\nkw = {}\n"
        "bf.Adapter().standardize('x', mean=0, std=1)\n"
        "bf.Adapter().standardize(**kw)\n"
        "bf.networks.ConsistencyModel(100)\n"
    )
    assert _messages(src) == []


def test_missing_parameters_follows_kinds():
    sig = bayesflow_api.signature("bayesflow.Adapter.standardize")
    assert missing_parameters(sig, 0, {"exclude"}) == ["mean", "std"]
    assert missing_parameters(sig, 1, {"mean", "std"}) == []
    # `include` is positional-or-keyword with a default; mean/std are keyword-only:
    # passing three positionals does not supply them
    assert missing_parameters(sig, 3, set()) == ["mean", "std"]


def test_workflow_approximator_names_the_variable_and_offers_the_rename():
    src = ("import bayesflow as bf\nmy_wf = bf.BasicWorkflow(inference_variables=['theta'])\n"
           "approx = my_wf.approximator\n")
    (f,) = lint_source(src, filename="t.py", select=["BF903"])
    assert f.message == "`my_wf.approximator` does not exist in BayesFlow 2.1"
    assert f.help == "Use `my_wf.estimator` (the attribute was renamed in 2.1)"
    assert f.fix is not None and f.fix["applicability"] == "safe"
