import libcst as cst

from bflint import bayesflow_api
from bflint.rule import Rule, first_arg_name

# the callable whose signature says where ``validation_data`` goes when passed by position
_CALLABLE = {"fit_offline": "bayesflow.BasicWorkflow.fit_offline",
             "fit_online": "bayesflow.BasicWorkflow.fit_online",
             "fit_disk": "bayesflow.BasicWorkflow.fit_disk",
             "estimator_fit": "bayesflow.BasicEstimator.fit"}


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


class MissingValidationData(Rule):
    """## What it does
    Flags a `fit_offline` / `fit_online` / `fit_disk` call (or an estimator's
    `.fit`) without `validation_data=` (or with `validation_data=None`).

    ## Why is this bad?
    Without validation data BayesFlow trains without any warning and the
    history has no `val_loss`, so overfitting cannot be detected and the
    training inspection has nothing to compare against.

    ## Example
    ```python
    history = workflow.fit_offline(data=train_data, epochs=100, batch_size=32)
    ```

    ## Use instead
    Hold out ~300 simulations for offline/disk training; pass an integer for
    online training, which then simulates them:
    ```python
    history = workflow.fit_offline(
        data=train_data, epochs=100, batch_size=32, validation_data=val_data
    )
    history = workflow.fit_online(epochs=100, validation_data=300)
    ```
    """

    CODE = "BF302"
    NAME = "missing-validation-data"
    SEVERITY = "E"
    MESSAGE = "`{method}(...)` on `{receiver}` has no `validation_data=`"
    FIX_TITLE = "{advice}"

    def check(self, model):
        for call in model.bf_calls("fit_offline", "fit_online", "fit_disk", "estimator_fit"):
            if call.has_star_kwargs() or call.kwarg("validation_split") is not None:
                continue
            given = call.argument(bayesflow_api.parameter_position(_CALLABLE[call.bf], "validation_data"),
                                  "validation_data")
            if given is not None and not _is_none(given):
                continue
            method = "fit" if call.bf == "estimator_fit" else call.bf
            if call.bf == "fit_online":
                advice = "pass `validation_data=300` so BayesFlow simulates a validation set"
            else:
                advice = "hold out ~300 simulations and pass them as `validation_data=`"
            receiver = first_arg_name(call.node.func.value) if call.method else "..."
            yield self.report(call.node, method=method, receiver=receiver, advice=advice)
