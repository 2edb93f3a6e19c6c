import libcst as cst

from bflint.bayesflow_api import has_no_workflow
from bflint.rule import Rule, first_arg_name


class EstimatorFitBypassesWorkflow(Rule):
    """## What it does
    Flags training through a BayesFlow estimator / approximator's keras
    `.fit(...)` (`BasicEstimator`, `ContinuousApproximator`,
    `PointEstimator`, ..., also `workflow.estimator.fit(...)`) instead of a
    workflow's `fit_offline` / `fit_online` / `fit_disk`.

    Such calls still count as training for the other rules (validation data,
    diagnostics). Estimators no workflow builds (`RatioApproximator` /
    `RatioEstimator`, `AutoregressiveEstimator` in 2.1: generated data) are
    trained with their own `fit` and not flagged.

    ## Why is this bad?
    Calling `.fit` on the estimator skips everything the workflow does
    around it: building the dataset from the simulator or the simulations,
    the optimizer and learning-rate schedule, checkpointing, and keeping the
    adapter, the networks and the History together for
    `compute_default_diagnostics`, `plot_default_diagnostics` and `sample`.
    Scripts that bypass the workflow end up re-implementing that by hand and
    drift from the guide's workflow.

    ## Example
    ```python
    approximator = bf.ContinuousApproximator(
        adapter=adapter, inference_network=inference_network
    )
    approximator.compile(optimizer="adam")
    history = approximator.fit(dataset=dataset, epochs=100)
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(
        simulator=simulator, adapter=adapter, inference_network=inference_network
    )
    history = workflow.fit_offline(
        data=train_data, epochs=100, validation_data=val_data
    )
    ```
    """

    CODE = "BF306"
    NAME = "estimator-fit-bypasses-workflow"
    SEVERITY = "W"
    MESSAGE = "`{receiver}.fit(...)` trains {what} directly, bypassing the workflow"
    FIX_TITLE = "{advice}"

    def check(self, model):
        for call in model.bf_calls("estimator_fit"):
            func = call.node.func
            receiver = first_arg_name(func.value) if isinstance(func, cst.Attribute) else "..."
            est = call.receiver
            if est is not None and has_no_workflow(est.qualname):
                continue  # neural ratio estimation: no workflow builds it, fit is the way
            if est is not None and est.parent is not None and est.parent.kind == "workflow":
                owner = first_arg_name(func.value.value) if isinstance(func.value, cst.Attribute) \
                    else "workflow"
                what = "the workflow's estimator"
                advice = (f"train with `{owner}.fit_offline(data=..., validation_data=...)` (or "
                          f"`fit_online` / `fit_disk`)")
            else:
                cls = (est.qualname or "").rsplit(".", 1)[-1] if est is not None else ""
                what = f"a `{cls}`" if cls else "a BayesFlow estimator"
                if cls.startswith("ModelComparison"):
                    build = "bf.workflows.ModelComparisonWorkflow(simulator=..., adapter=..., ...)"
                else:
                    build = ("bf.BasicWorkflow(simulator=..., adapter=..., inference_network=..., "
                             "summary_network=...)")
                advice = (f"build `{build}` and train with `workflow.fit_offline(data=..., "
                          f"validation_data=...)` (or `fit_online` / `fit_disk`)")
            yield self.report(call.node, receiver=receiver, what=what, advice=advice)
