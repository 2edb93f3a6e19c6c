import libcst as cst

from bflint.rule import Edit, Fix, Rule


class MissingStandardize(Rule):
    """## What it does
    Flags a `BasicWorkflow(...)` call without `standardize=`, or with
    `standardize=None` / `standardize=[]`.

    ## Why is this bad?
    BayesFlow then standardises only the inference variables (or nothing at
    all), so summary variables and conditions reach the networks on their raw
    scale, which slows or destabilises training. The house default is
    `standardize="all"`; deviate only after checking that the simulator
    outputs are already well scaled.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter, standardize="all")
    ```
    """

    CODE = "BF107"
    NAME = "missing-standardize"
    SEVERITY = "I"
    MESSAGE = "`BasicWorkflow(...)` {what}"
    FIX_TITLE = "Pass `standardize=\"all\"` (the house default)"

    def check(self, model):
        for wf in model.workflows:
            if any(a.star for a in wf.node.args):
                continue
            arg = wf.arg("standardize")
            if arg is None:
                what = ("has no `standardize=`, so BayesFlow standardises only "
                        "`inference_variables`")
                fix = _add_standardize(wf.node)
            elif isinstance(arg.value, cst.Name) and arg.value.value == "None":
                what = "has `standardize=None`, which turns standardisation off"
                fix = Fix.unsafe('Use `standardize="all"`', Edit(arg.value, '"all"'))
            elif model.strings(arg.value) == []:
                what = "has an empty `standardize=`, which turns standardisation off"
                fix = Fix.unsafe('Use `standardize="all"`', Edit(arg.value, '"all"'))
            else:
                continue
            yield self.report(wf.node, what=what, fix=fix)


def _add_standardize(call: cst.Call) -> Fix | None:
    """Append `standardize="all"` to the call's arguments (unsafe: changes
    what the networks see)."""
    if not call.args:
        return None
    last = call.args[-1]
    if isinstance(last.comma, cst.Comma):
        edit = Edit(("after", last.comma), ' standardize="all",')
    else:
        edit = Edit(("after", last), ', standardize="all"')
    return Fix.unsafe('Add `standardize="all"`', edit)
