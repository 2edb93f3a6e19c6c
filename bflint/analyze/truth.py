"""True parameters the script itself declares: the values it hands to BayesFlow as the
ground truth of simulated test data, whatever they were loaded or computed from.

* ``targets`` of a ``bayesflow.diagnostics`` function (``plots.recovery(draws, theta)``,
  ``metrics.root_mean_squared_error(estimates=..., targets=theta)``);
* the inference-variable entries of a dict literal given as ``test_data=`` to a
  workflow's diagnostics (``{"x": x_test, "inference_variables": theta_test}``; keys
  the workflow's adapter routes to ``inference_variables`` count too).

Used by BF402: hand-rolled metrics against such values are against the truth even
when the test set was loaded from a file (``np.load(...)["parameters"]``).
Cached per file with :meth:`SemanticModel.analysis`."""

from __future__ import annotations

import libcst as cst

from bflint import bayesflow_api
from bflint.semantic.cst_util import literal_dict
from bflint.semantic.values import Obj

_DIAGNOSTICS = ("compute_default_diagnostics", "plot_default_diagnostics",
                "compute_custom_diagnostics", "plot_custom_diagnostics")
# kinds that are not a value holding parameters (a draw, a BayesFlow object ...)
_NOT_TRUTH = frozenset({"samples", "import", "function", "workflow", "adapter", "simulator",
                        "network", "estimator", "history", "history_dict", "diagnostics",
                        "figures", "literal"})


def true_parameters(model) -> frozenset[int]:
    """``id`` of every value (:class:`Obj`) the script passes to BayesFlow as true
    parameters (see the module docstring)."""
    out: set[int] = set()

    def add(expr: cst.BaseExpression | None) -> None:
        obj: Obj | None = model.value(expr) if expr is not None else None
        if obj is not None and obj.kind not in _NOT_TRUTH:
            out.add(id(obj))

    for ev in model.calls:
        q = ev.qualname
        if q is not None and q.startswith("bayesflow.diagnostics."):
            names = bayesflow_api.positional_names(q)
            index = names.index("targets") if "targets" in names else None
            add(ev.argument(index, "targets"))
            continue
        if ev.bf in _DIAGNOSTICS:
            test = ev.argument(bayesflow_api.parameter_position(
                f"bayesflow.BasicWorkflow.{ev.bf}", "test_data"), "test_data")
            d = literal_dict(test)
            if d is None:
                continue
            keys = {"inference_variables"}
            wf = model.workflow_of(ev.receiver)
            routes = wf.routes() if wf is not None else None
            if routes:
                keys.update(k for k, _ in routes.get("inference_variables", ()))
            for key, value in d.items():
                if key in keys:
                    add(value)
    return frozenset(out)
