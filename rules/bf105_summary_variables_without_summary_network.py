import libcst as cst

from bflint.analyze.workflows import summary_network_given
from bflint.rule import Rule


def _replaced_estimators(model) -> set[int]:
    """Workflows whose estimator is replaced after construction
    (``workflow.approximator = keras.saving.load_model(path)``): the loaded model brings
    its own summary network."""
    out: set[int] = set()
    for rec in model.assignments:
        for t in rec.targets:
            if isinstance(t, cst.Attribute) and t.attr.value in ("approximator", "estimator"):
                v = model.value(t.value)
                if v is not None and v.kind == "workflow":
                    out.add(id(v))
    return out


class SummaryVariablesWithoutSummaryNetwork(Rule):
    """## What it does
    Flags a `BasicWorkflow(...)` whose adapter (or shorthand) routes data to
    `summary_variables` while the workflow gets no `summary_network=` (or
    `summary_network=None`).

    ## Why is this bad?
    BayesFlow 2.1 refuses to train: `ValueError: Cannot use
    summary_variables without a summary network.` The structured data
    (sets, time series, images) routed there needs a summary network that
    matches its structure.

    ## Example
    ```python
    adapter = bf.Adapter().as_set(["x"]).concatenate(["theta"], into="inference_variables").concatenate(["x"], into="summary_variables")
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(
        simulator=simulator,
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(summary_dim=4),
    )
    ```
    """

    CODE = "BF105"
    NAME = "summary-variables-without-summary-network"
    SEVERITY = "E"
    MESSAGE = ("`BasicWorkflow(...)` routes {keys} to `summary_variables` but has no "
               "`summary_network=`: BayesFlow raises `Cannot use summary_variables without a "
               "summary network`")
    FIX_TITLE = ("Pass a summary network that fits the data (e.g. "
                 "`summary_network=bf.networks.SetTransformer()` for sets, "
                 "`TimeSeriesNetwork()` for time series)")

    def check(self, model):
        replaced = None
        for wf in model.workflows:
            if summary_network_given(wf) is not False:
                continue
            if replaced is None:
                replaced = _replaced_estimators(model)
            if id(wf) in replaced:
                continue
            routes = wf.routes()
            if not routes or not routes["summary_variables"]:
                continue
            keys = ", ".join(dict.fromkeys(f"`{k}`" for k, _ in routes["summary_variables"]))
            yield self.report(wf.node, keys=keys)
