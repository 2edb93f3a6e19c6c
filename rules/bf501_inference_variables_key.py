import libcst as cst

from bflint.rule import Rule, first_arg_name
from bflint.semantic.cst_util import string_value

KEY = "inference_variables"


def _descriptions(model) -> dict:
    """Per file: (kind, workflows) -> the message's wording (filled by the rule)."""
    return {}


def obj_call(obj) -> str:
    """``sample(...)`` / ``simulate(...)``: how the value was produced."""
    node = obj.node
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return f"{first_arg_name(node.func.value)}.{node.func.attr.value}(...)".replace("....", "")
    return "sample(...)" if obj.kind == "samples" else "simulate(...)"


class InferenceVariablesKey(Rule):
    """## What it does
    Flags indexing the result of a workflow's `sample(...)` or `simulate(...)`
    with `"inference_variables"` (`samples["inference_variables"]`,
    `samples.get("inference_variables")`).

    ## Why is this bad?
    The adapter is applied in reverse after sampling: `workflow.sample()`
    returns the simulator's original parameter names (`"mu"`, `"sigma"`),
    each of shape `(datasets, num_samples, ...)`, and `simulate()` returns
    the raw simulator outputs. `"inference_variables"` exists only inside the
    adapter's output, so the lookup raises `KeyError` (or `.get` silently
    gives `None`).

    ## Example
    ```python
    samples = workflow.sample(conditions=obs, num_samples=1000)
    theta = samples["inference_variables"]
    ```

    ## Use instead
    Index with the parameter names:
    ```python
    samples = workflow.sample(conditions=obs, num_samples=1000)
    mu, sigma = samples["mu"], samples["sigma"]
    ```
    """

    CODE = "BF501"
    NAME = "inference-variables-key"
    SEVERITY = "E"
    MESSAGE = ("`{expr}` looks up \"inference_variables\", but {what} is keyed by the "
               "simulator's original names ({keys})")
    FIX_TITLE = "Index it with those names instead"

    def _simulator_has_key(self, model) -> bool:
        for sim in model.simulators:
            for f in sim.functions:
                if f is not None and any(KEY in d for d in f.returned_dicts()):
                    return True
        return False

    @staticmethod
    def _workflows(model, obj) -> list:
        """The workflow ``obj`` was sampled from; every workflow of the file when the
        receiver is unknown (a parameter: ``def batched_sample(wf, ...)``)."""
        node = obj.node
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            receiver = model.value(node.func.value)
            if receiver is not None and receiver.kind == "workflow":
                return [receiver]
        return list(model.workflows)

    def _passes_through(self, model, obj) -> bool:
        """The workflow's known adapter routes nothing into inference variables, or a key
        already named ``"inference_variables"``: the data carries that key itself, it passes
        the adapter unchanged (or is split back out of the concatenation), and ``sample()``
        returns it by that name."""
        workflows = self._workflows(model, obj)
        if not workflows:
            return False
        for wf in workflows:
            routes = wf.routes()
            if routes is None:
                return False
            routed = [k for k, _ in routes.get(KEY, ())]
            if routed and KEY not in routed:
                return False
        return True

    def _describe(self, model, obj):
        # the same for every report on one workflow: computed once per file (linear, issue 18)
        cache = model.analysis(_descriptions)
        workflows = self._workflows(model, obj) if obj.kind == "samples" else []
        key = (obj.kind, tuple(id(w) for w in workflows))
        if key not in cache:
            cache[key] = self._description(model, obj, workflows)
        return cache[key]

    @staticmethod
    def _simulator_keys(model, kind: str) -> list | None:
        keys = None
        for sim in model.simulators:
            if kind == "sims":
                out = sim.outputs()
                keys = list(out) if out else keys
            elif sim.functions and sim.functions[0] is not None:
                dicts = sim.functions[0].returned_dicts()
                keys = [k for d in dicts for k in d] or keys
        return keys

    def _description(self, model, obj, workflows):
        if obj.kind == "samples":
            what = "the result of `sample(...)`"
        else:
            what = "the result of `simulate(...)`"
        # the simulators' keys do not depend on the workflow: once per file and kind
        cache = model.analysis(_descriptions)
        if ("simulators", obj.kind) not in cache:
            cache[("simulators", obj.kind)] = self._simulator_keys(model, obj.kind)
        keys = cache[("simulators", obj.kind)]
        if obj.kind == "samples":
            # parameter names: what the adapter routes into inference variables
            for wf in workflows:
                routes = wf.routes()
                if routes and routes.get(KEY):
                    keys = [k for k, _ in routes[KEY]]
                    break
        shown = ", ".join(f'"{k}"' for k in keys[:6]) if keys else 'e.g. "mu", "sigma"'
        return what, shown

    def check(self, model):
        sims_ok = None
        for node in model.nodes(cst.Subscript):
            if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                continue
            if string_value(node.slice[0].slice.value) != KEY:
                continue
            obj = model.value(node.value)
            if obj is None or obj.kind not in ("samples", "sims"):
                continue
            if obj.kind == "sims":
                if sims_ok is None:
                    sims_ok = self._simulator_has_key(model)
                if sims_ok:
                    continue
            elif self._passes_through(model, obj):
                continue
            what, keys = self._describe(model, obj)
            base = first_arg_name(node.value)
            expr = f'{base}["{KEY}"]' if base != "..." else f'{obj_call(obj)}["{KEY}"]'
            yield self.report(node, expr=expr, what=what, keys=keys)
        for call in model.calls:
            if call.method not in ("get", "pop") or call.receiver is None:
                continue
            if call.receiver.kind not in ("samples", "sims"):
                continue
            first = call.argument(0, "key")
            if string_value(first) != KEY:
                continue
            if call.receiver.kind == "sims":
                if sims_ok is None:
                    sims_ok = self._simulator_has_key(model)
                if sims_ok:
                    continue
            elif self._passes_through(model, call.receiver):
                continue
            what, keys = self._describe(model, call.receiver)
            base = first_arg_name(call.node.func.value)
            yield self.report(call.node, expr=f'{base}.{call.method}("{KEY}")', what=what, keys=keys)
