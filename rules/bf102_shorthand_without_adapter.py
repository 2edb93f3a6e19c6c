import json

from bflint.bayesflow_api import SLOTS
from bflint.rule import Rule


class ShorthandWithoutAdapter(Rule):
    """## What it does
    Flags a `BasicWorkflow(...)` call that routes data with the naming
    shorthand (`inference_variables=`, `summary_variables=`,
    `inference_conditions=`) and has no explicit `adapter=`.

    ## Why is this bad?
    The shorthand builds a minimal adapter that only concatenates keys: no
    `.as_set` / `.as_time_series`, no `.constrain` for bounded parameters,
    no dtype conversion. The house workflow routes all data through an
    explicit `bf.Adapter()` so that the transformations are visible, applied
    identically in training and inference, and easy to extend.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(
        simulator=simulator,
        inference_variables=["mu", "sigma"],
        summary_variables=["x"],
        summary_network=bf.networks.SetTransformer(),
    )
    ```

    ## Use instead
    ```python
    adapter = (
        bf.Adapter()
        .as_set(["x"])
        .constrain("sigma", lower=0)
        .convert_dtype("float64", "float32")
        .concatenate(["mu", "sigma"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
    workflow = bf.BasicWorkflow(
        simulator=simulator,
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(),
    )
    ```
    """

    CODE = "BF102"
    NAME = "shorthand-without-adapter"
    SEVERITY = "W"
    MESSAGE = "`BasicWorkflow(...)` routes data with the shorthand {names} and no `adapter=`"
    FIX_TITLE = "Build an explicit `bf.Adapter()` ({chain}) and pass it as `adapter=`"

    def check(self, model):
        for wf in model.workflows:
            if wf.adapter_given or any(a.star for a in wf.node.args):
                continue
            used = wf.shorthand()
            if not used:
                continue
            names = ", ".join(f"`{s}=`" for s in SLOTS if s in used)
            parts = []
            for slot in SLOTS:
                if slot not in used:
                    continue
                keys = model.strings(used[slot].value)
                shown = json.dumps(keys) if keys else "[...]"
                parts.append(f'`.concatenate({shown}, into="{slot}")`')
            yield self.report(wf.node, names=names, chain=", ".join(parts))
