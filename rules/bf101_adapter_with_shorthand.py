from bflint.bayesflow_api import SLOTS
from bflint.rule import Rule


class AdapterWithShorthand(Rule):
    """## What it does
    Flags a `BasicWorkflow(...)` call that passes an explicit `adapter=`
    together with any of the naming shorthand keywords
    `inference_variables=`, `summary_variables=`, `inference_conditions=`.

    ## Why is this bad?
    BayesFlow 2.1 builds the default adapter only when no adapter is given
    (`adapter = adapter or default_adapter(...)`): with an explicit adapter
    the shorthand is silently discarded, so whatever routing the shorthand
    expresses never happens.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(
        adapter=adapter,
        inference_variables=["theta"],
        summary_variables=["x"],
    )
    ```

    ## Use instead
    Route everything in the adapter and drop the shorthand:
    ```python
    adapter = (
        bf.Adapter()
        .as_set(["x"])
        .concatenate(["theta"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
    workflow = bf.BasicWorkflow(adapter=adapter, ...)
    ```
    """

    CODE = "BF101"
    NAME = "adapter-with-shorthand"
    SEVERITY = "E"
    MESSAGE = ("`BasicWorkflow(...)` gets `adapter=` and the shorthand {names}: BayesFlow "
               "silently discards the shorthand")
    FIX_TITLE = "Route these keys in the adapter and remove {names}"

    def check(self, model):
        for wf in model.workflows:
            if not wf.adapter_given:
                continue
            used = [s for s in SLOTS if s in wf.args]
            if used:
                names = ", ".join(f"`{s}=`" for s in used)
                yield self.report(wf.node, names=names)
