"""The wording of every rule, pinned (ruff's snapshot tests, as exact
strings): one case per rule, its documentation's ``## Example`` (see
tests/test_docstring_examples.py), with the message (what is wrong) and the
fix title (what to do). A wording change is a deliberate edit of this file."""

from __future__ import annotations

import pytest

from bflint.api import lint_source
from bflint.registry import rules_by_code
from tests.test_docstring_examples import PRELUDE, section

EXPECTED = {
    'BF101': (
        '`BasicWorkflow(...)` gets `adapter=` and the shorthand `inference_variables=`, `summary_variables=`: BayesFlow silently discards the shorthand',
        'Route these keys in the adapter and remove `inference_variables=`, `summary_variables=`',
    ),
    'BF102': (
        '`BasicWorkflow(...)` routes data with the shorthand `inference_variables=`, `summary_variables=` and no `adapter=`',
        'Build an explicit `bf.Adapter()` (`.concatenate(["mu", "sigma"], into="inference_variables")`, `.concatenate(["x"], into="summary_variables")`) and pass it as `adapter=`',
    ),
    'BF103': (
        '`sigma` is drawn from a bounded distribution (`gamma`) and routed to `inference_variables`, but the adapter never constrains it',
        'Add `.constrain("sigma", lower=0)` (or `.log("sigma")`) to the adapter',
    ),
    'BF104': (
        '`x` is structured data (drawn with a sample axis: `size=50`), yet is routed to `inference_conditions`',
        'Route it to `summary_variables` with a summary network (`SetTransformer` for exchangeable draws, `TimeSeriesNetwork` for ordered ones); keep only fixed-length scalars such as the sample size in `inference_conditions`',
    ),
    'BF105': (
        '`BasicWorkflow(...)` routes `x` to `summary_variables` but has no `summary_network=`: BayesFlow raises `Cannot use summary_variables without a summary network`',
        'Pass a summary network that fits the data (e.g. `summary_network=bf.networks.SetTransformer()` for sets, `TimeSeriesNetwork()` for time series)',
    ),
    'BF106': (
        '`sims["x"] = ...` applies a hand-made standardisation `(x - mean) / std` to simulated data before it reaches the workflow',
        'Remove it and let BayesFlow do it (`standardize="all"` in `BasicWorkflow(...)`), so that validation, test and real data get the same treatment and the samples come back on the original scale',
    ),
    'BF107': (
        '`BasicWorkflow(...)` has no `standardize=`, so BayesFlow standardises only `inference_variables`',
        'Pass `standardize="all"` (the house default)',
    ),
    'BF108': (
        '`BasicWorkflow(standardize=...)` has the value `"inference_variable"`, which BayesFlow silently ignores (nothing is standardised for it)',
        'Did you mean `"inference_variables"` instead of `"inference_variable"`?',
    ),
    'BF109': (
        "`BasicWorkflow(...)` gets `summary_network=` but nothing is routed to `summary_variables` (the first fit crashes with `KeyError: 'summary_variables'`)",
        'Route the observations (`x`, now in `inference_conditions`) to `summary_variables`, or drop the summary network',
    ),
    'BF201': (
        '`simulator.sample(1)` runs once per iteration of a Python comprehension to build a data set',
        'Simulate the whole set in one batched call with `workflow.simulate(N)` (or `simulator.sample(N)`)',
    ),
    'BF301': (
        '`workflow.fit_online(...)` is the first training pass',
        'Train first with `workflow.fit_offline(data=..., validation_data=...)` on a pre-simulated pilot budget (e.g. `workflow.simulate(10_000)`) and use `fit_online` only to refine',
    ),
    'BF302': (
        '`fit_offline(...)` on `workflow` has no `validation_data=`',
        'Hold out ~300 simulations and pass them as `validation_data=`',
    ),
    'BF303': (
        'the History of `workflow.fit_offline(...)` is written only as a pandas DataFrame and CSV, not as JSON',
        'Save it with `json.dump(history.history, f)` to `history.json`',
    ),
    'BF304': (
        'the History `history` of `workflow.fit_offline(...)` is never passed to `inspect_history(...)`',
        'Call `training_report = inspect_history(history.history)` (from `bflint.runtime`) and act on its issues before the diagnostics; plotting the loss is not enough',
    ),
    'BF305': (
        '`workflow.fit_offline(...)` passes `verbose=0`, which hides the training progress and losses',
        'Drop it (default `verbose=1`, a progress bar) or use `verbose=2` (one line per epoch) so the run can be followed in the terminal',
    ),
    'BF306': (
        '`approximator.fit(...)` trains a `ContinuousApproximator` directly, bypassing the workflow',
        'Build `bf.BasicWorkflow(simulator=..., adapter=..., inference_network=..., summary_network=...)` and train with `workflow.fit_offline(data=..., validation_data=...)` (or `fit_online` / `fit_disk`)',
    ),
    'BF401': (
        '`fit_offline(...)` trains `workflow` but the script never calls `compute_default_diagnostics(...)`',
        'Diagnose on held-out simulations with `workflow.compute_default_diagnostics(test_data=workflow.simulate(300))` before trusting the posterior',
    ),
    'BF402': (
        'Coverage / calibration (interval or rank comparison against the truth) computed by hand from posterior draws (`samples`) and the true parameters (`test_data`)',
        'Use `workflow.compute_default_diagnostics(test_data=test_data)` (and `plot_default_diagnostics`) instead',
    ),
    'BF403': (
        '`isinstance(figures, ...)` checks the type of the diagnostics figures: `plot_default_diagnostics(...)` always returns a `dict[str, Figure]`',
        'Iterate over `figures.items()` and save each figure instead',
    ),
    'BF404': (
        '`fit_offline(...)` trains `workflow` and the script runs in-silico diagnostics but never writes `report.md`',
        'Call `bflint.runtime.write_report(results_dir, ...)` (or write `<results_dir>/report.md`) after the diagnostics',
    ),
    'BF405': (
        '`compute_default_diagnostics(...)` on `workflow` has no `test_data=`',
        'Simulate held-out data (`test_data = workflow.simulate(300)`) and pass it as `test_data=test_data`',
    ),
    'BF406': (
        '`compute_default_diagnostics(test_data=val_data)`: `val_data` is the validation data passed to `fit_offline(...)`',
        'Diagnose on fresh held-out simulations instead (`test_data = workflow.simulate(300)`)',
    ),
    'BF501': (
        '`samples["inference_variables"]` looks up "inference_variables", but the result of `sample(...)` is keyed by the simulator\'s original names (e.g. "mu", "sigma")',
        'Index it with those names instead',
    ),
    'BF502': (
        '`np.random.normal(...)` draws posterior predictive data from posterior samples (`samples`) by hand',
        "Reuse the simulator's own `observation_model(...)` (pass each posterior draw through it) instead of re-implementing the generative model",
    ),
    'BF601': (
        '`field` routed to `inference_variables` is image-valued (32 x 32 x 1) but the inference network is `FlowMatching`',
        'Use `bf.networks.DiffusionModel(subnet=bf.networks.UNet)` (or `UViT` / `ResidualUViT`) for image-valued targets',
    ),
    'BF602': (
        '`x` is set data (`.as_set`) routed to `summary_variables` but the summary network is `TimeSeriesNetwork`',
        'Use `bf.networks.SetTransformer(...)`, the house default for exchangeable data',
    ),
    'BF603': (
        '`CouplingFlow(...)` is built larger than BayesFlow 2.1\'s defaults (the guide\'s Base size): `depth=12` (default 6), `subnet_kwargs["widths"]=(512,) * 6` (default (128, 128))',
        'Start with the Base size and scale up only when diagnostics show poor recovery or calibration',
    ),
    'BF604': (
        '`summary_dim=2` of `SetTransformer` is below the 5 inference parameters (`beta` (3 values), `mu`, `sigma`)',
        'Start with `summary_dim=10` (2x the number of parameters)',
    ),
    'BF901': (
        '`os.environ["KERAS_BACKEND"] = ...` comes after `import bayesflow as bf`: keras picks its backend when it is first imported, so this setting is silently ignored',
        'Set `KERAS_BACKEND` at the very top of the script, before any `import keras` / `import bayesflow`',
    ),
    'BF902': (
        '`bf.simulation` (`GenerativeModel`) is BayesFlow 1.x API that BayesFlow 2.1 no longer has',
        'Use `bf.make_simulator([prior, likelihood])`',
    ),
    'BF903': (
        '`bf.networks.SetTransfomer` does not exist in BayesFlow 2.1 (`bayesflow.networks` has no `SetTransfomer`)',
        'Did you mean `SetTransformer`?',
    ),
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_wording(code: str) -> None:
    src = section(rules_by_code()[code].doc(), "Example")[0]
    if "import bayesflow" not in src:
        src = PRELUDE + src
    found = [(f.message, f.help) for f in lint_source(src, filename="example.py", select=[code])
             if f.code == code]
    assert found and found[0] == EXPECTED[code]


def test_every_rule_is_pinned() -> None:
    assert set(EXPECTED) == set(rules_by_code()) - {"BF000", "BF001", "BF999"}


def test_parse_error_wording() -> None:
    (f,) = lint_source("import bayesflow as bf\nx = (\n", filename="e.py", select=["BF000"])
    assert f.message.startswith("SyntaxError: ") and f.help is None
