import libcst as cst

from bflint.rule import Rule, first_arg_name

_TYPE_CHECKS = frozenset({"isinstance", "type", "hasattr"})
# methods of a matplotlib Figure that a dict does not have
_FIGURE_METHODS = frozenset({
    "savefig", "show", "suptitle", "supxlabel", "supylabel", "tight_layout", "set_size_inches",
    "subplots_adjust", "add_subplot", "add_axes", "gca", "legend", "colorbar", "set_dpi",
    "get_axes", "set_tight_layout", "align_labels", "draw",
})


class DiagnosticsFiguresMisused(Rule):
    """## What it does
    Flags code that type-checks or branches on the return value of
    `plot_default_diagnostics(...)` (`isinstance`, `type(...)`, `hasattr`) or
    uses it as one matplotlib Figure (`figures.savefig(...)`,
    `plt.close(figures)`).

    ## Why is this bad?
    `plot_default_diagnostics` always returns a `dict[str, Figure]` (keys
    `losses`, `recovery`, `calibration_ecdf`, `coverage`,
    `z_score_contraction`). Calling Figure methods on the dict crashes, and
    branching on its type hides figures that are then never saved.

    ## Example
    ```python
    figures = workflow.plot_default_diagnostics(test_data=test_data)
    if isinstance(figures, dict):
        figures = list(figures.values())
    else:
        figures.savefig("diagnostics.png")
    ```

    ## Use instead
    Iterate over the dict directly:
    ```python
    figures = workflow.plot_default_diagnostics(test_data=test_data)
    for name, fig in figures.items():
        fig.savefig(os.path.join(results_dir, f"{name}.png"))
    ```
    """

    CODE = "BF403"
    NAME = "diagnostics-figures-misused"
    SEVERITY = "E"
    MESSAGE = "{what}: `plot_default_diagnostics(...)` always returns a `dict[str, Figure]`"
    FIX_TITLE = "Iterate over `{name}.items()` and save each figure instead"

    def _figures(self, model, expr):
        v = model.value(expr)
        if v is None:
            return False
        if v.kind == "figures":
            return True
        if v.kind == "param":
            args = model.param_arguments(v)
            return bool(args) and all(
                (model.value(a) is not None and model.value(a).kind == "figures") for _, a in args
            )
        return False

    def check(self, model):
        if not model.bf_calls("plot_default_diagnostics"):
            return
        for call in model.calls:
            name = call.callee_name
            if call.method is None and name in _TYPE_CHECKS and isinstance(call.node.func, cst.Name):
                first = call.argument(0, "obj")
                if first is not None and self._figures(model, first):
                    yield self.report(call.node, what=f"`{name}({first_arg_name(first)}, ...)` "
                                      "checks the type of the diagnostics figures",
                                      name=first_arg_name(first))
                continue
            if call.method in _FIGURE_METHODS and isinstance(call.node.func, cst.Attribute):
                recv = call.node.func.value
                if self._figures(model, recv):
                    shown = first_arg_name(recv)
                    where = f"`{shown}`" if shown != "..." else "the result of `plot_default_diagnostics(...)`"
                    yield self.report(call.node, what=f"`.{call.method}(...)` is called on "
                                      f"{where} as if it were one Figure",
                                      name=shown if shown != "..." else "figures")
                continue
            if call.qualname == "matplotlib.pyplot.close":
                first = call.argument(0, "fig")
                if first is not None and self._figures(model, first):
                    yield self.report(call.node, what=f"`plt.close({first_arg_name(first)})` "
                                      "treats the diagnostics figures as one Figure",
                                      name=first_arg_name(first))
