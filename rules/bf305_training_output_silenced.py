import libcst as cst

from bflint.rule import Edit, Fix, Rule, first_arg_name
from bflint.semantic.cst_util import literal_dict

_FITS = ("fit_offline", "fit_online", "fit_disk")


def _silent(model, expr: cst.BaseExpression | None, depth: int = 3) -> str | None:
    """``0`` / ``False`` (also through a name bound once to one): the
    spelling used, else None."""
    if isinstance(expr, cst.Integer) and expr.evaluated_value == 0:
        return expr.value
    if isinstance(expr, cst.Name):
        if expr.value == "False":
            return "False"
        if depth == 0:
            return None
        values = [rec.value for rec in model.assignments
                  if rec.function is None and len(rec.targets) == 1
                  and isinstance(rec.targets[0], cst.Name) and rec.targets[0].value == expr.value]
        if len(values) == 1:
            return _silent(model, values[0], depth - 1)
    return None


def _star_verbose(model, arg: cst.Arg) -> cst.BaseExpression | None:
    """``**{"verbose": 0}`` or ``**fit_kwargs`` bound to such a dict."""
    expr = arg.value
    if isinstance(expr, cst.Name):
        obj = model.value(expr)
        expr = obj.node if obj is not None and obj.kind == "literal" else None
    d = literal_dict(expr)
    return d.get("verbose") if d else None


class TrainingOutputSilenced(Rule):
    """## What it does
    Flags `verbose=0` (or `verbose=False`) passed to a `fit_offline` /
    `fit_online` / `fit_disk` call, directly, through a module-level constant
    or through a `**kwargs` dict literal.

    ## Why is this bad?
    The `fit_*` methods pass `verbose` on to keras: `0` hides the progress
    bar and the per-epoch losses. Training then runs for minutes or hours
    with no sign of progress, divergence (NaN losses) or overfitting, and the
    user cannot follow it in the terminal as the house workflow requires.

    ## Example
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data, verbose=0)
    ```

    ## Use instead
    Keep the default progress bar (`verbose=1`), or one line per epoch in
    logs (`verbose=2`):
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    ```
    """

    CODE = "BF305"
    NAME = "training-output-silenced"
    SEVERITY = "W"
    MESSAGE = ("`{receiver}.{method}(...)` passes `verbose={value}`, which hides the training "
               "progress and losses")
    FIX_TITLE = ("Drop it (default `verbose=1`, a progress bar) or use `verbose=2` (one line "
                 "per epoch) so the run can be followed in the terminal")

    def check(self, model):
        for call in model.bf_calls(*_FITS):
            value = None
            kw = call.kwarg("verbose")
            if kw is not None:
                value = _silent(model, kw.value)
            else:
                for a in call.node.args:
                    if a.star == "**":
                        value = _silent(model, _star_verbose(model, a))
                        if value is not None:
                            break
            if value is None:
                continue
            receiver = first_arg_name(call.node.func.value)
            if receiver == "...":
                receiver = "workflow"
            fix = _drop(call.node, kw) if kw is not None else None
            yield self.report(call.node, receiver=receiver, method=call.bf, value=value, fix=fix)


def _drop(call, kw):
    """Unsafe fix: remove the `verbose=` argument (keras' default shows progress)."""
    args = list(call.args)
    i = next((j for j, a in enumerate(args) if a is kw), None)
    if i is None:
        return None
    if i > 0:
        target = ("span", ("end", args[i - 1].value), ("end", kw.value))
    elif len(args) > 1:
        target = ("span", ("start", kw), ("start", args[1]))
    elif isinstance(kw.comma, cst.Comma):
        target = ("span", ("start", kw), ("end", kw.comma))
    else:
        target = kw
    return Fix.unsafe("Remove `verbose=`", Edit(target, ""))
