from __future__ import annotations

import libcst as cst

from bflint.semantic.cst_util import string_value, walk
from bflint.rule import Rule

LOG_LIKE = frozenset({"log", "log1p", "log2", "log10", "sqrt", "arcsinh", "logit", "boxcox"})
STATS = frozenset({"mean", "std", "var", "median", "max", "min", "ptp", "nanmean", "nanstd",
                   "nanvar", "nanmedian", "amax", "amin", "nanmax", "nanmin", "percentile",
                   "quantile", "nanpercentile", "nanquantile"})
STAT_LIBS = frozenset({"numpy", "scipy", "keras", "jax", "torch", "tensorflow"})
USE_KINDS = ("fit_offline", "fit_online", "fit_disk", "estimator_fit",
             "compute_default_diagnostics", "plot_default_diagnostics", "sample", "log_prob",
             "estimate")
COPY_METHODS = frozenset({"copy"})
ITER_METHODS = frozenset({"items", "keys", "values"})


def _code(node: cst.CSTNode) -> str:
    text = cst.Module(body=[]).code_for_node(node)
    return text if len(text) <= 60 else text[:57] + "..."


class _Flow:
    """Which values are simulations (``workflow.simulate`` /
    ``simulator.sample`` results) or dicts derived from them, and which of
    them reach a BayesFlow call."""

    def __init__(self, model):
        self.m = model
        self.parent: dict[tuple, tuple] = {}
        for rec in model.assignments:
            base = self.derived_base(rec.value)
            if base is not None:
                self.parent[("node", id(rec.value))] = base
        # key -> indexes of the BayesFlow calls that receive it
        self.uses: dict[tuple, list[int]] = {}
        for call in model.bf_calls(*USE_KINDS):
            for arg in call.node.args:
                k = self.source(arg.value)
                if k is not None:
                    self.uses.setdefault(k, []).append(call.index)

    # -- identity ----------------------------------------------------------
    def key(self, obj) -> tuple | None:
        if obj is None:
            return None
        if obj.kind == "sims":
            return ("sims", id(obj))
        if obj.kind == "opaque" and ("node", id(obj.node)) in self.parent:
            return ("node", id(obj.node))
        return None

    def source(self, expr) -> tuple | None:
        if isinstance(expr, cst.DictComp) or isinstance(expr, cst.Dict):
            k = ("node", id(expr))
            return k if k in self.parent else None
        return self.key(self.m.value(expr))

    def derived_base(self, v) -> tuple | None:
        if isinstance(v, cst.DictComp):
            it = v.for_in.iter
            if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and \
                    it.func.attr.value in ITER_METHODS:
                return self.source(it.func.value)
            return self.source(it)
        if isinstance(v, cst.Call):
            if isinstance(v.func, cst.Attribute) and v.func.attr.value in COPY_METHODS:
                return self.source(v.func.value)
            q = self.m.qualname(v)
            if (isinstance(v.func, cst.Name) and v.func.value == "dict" and q is None) or q in (
                    "copy.copy", "copy.deepcopy"):
                return self.source(v.args[0].value) if v.args else None
        if isinstance(v, cst.Dict):
            for el in v.elements:
                if isinstance(el, cst.StarredDictElement):
                    k = self.source(el.value)
                    if k is not None:
                        return k
        return None

    def used_after(self, k: tuple, index: int) -> bool:
        """``k`` (or a dict derived from it) reaches a BayesFlow call after ``index``."""
        for u, idxs in self.uses.items():
            chain, seen = u, set()
            while chain is not None and chain not in seen:
                if chain == k:
                    if any(i > index for i in idxs):
                        return True
                    break
                seen.add(chain)
                chain = self.parent.get(chain)
        return False

    # -- data and transformations -----------------------------------------
    def is_data(self, expr, loopvars: frozenset[str], depth: int = 4) -> bool:
        if depth <= 0:
            return False
        if isinstance(expr, cst.Name):
            if expr.value in loopvars:
                return True
            obj = self.m.value(expr)
            if obj is not None and obj.kind in ("opaque", "foreign") and isinstance(
                    obj.node, cst.Subscript) and obj.node is not expr:
                return self.is_data(obj.node, loopvars, depth - 1)
            return False
        if isinstance(expr, cst.Subscript):
            if self.source(expr.value) is not None:
                return True
            return self.is_data(expr.value, loopvars, depth - 1)
        return False

    def contains_data(self, expr, loopvars) -> bool:
        return any(isinstance(n, (cst.Name, cst.Subscript)) and self.is_data(n, loopvars)
                   for n in walk(expr))

    def is_stat(self, expr, depth: int = 4) -> bool:
        if depth <= 0 or expr is None:
            return False
        if isinstance(expr, cst.Call):
            q = self.m.qualname(expr)
            if q is not None:
                name = q.rsplit(".", 1)[-1]
                if q.split(".")[0] in STAT_LIBS and name in STATS:
                    return True
                if name == "sqrt" and expr.args:
                    return self.is_stat(expr.args[0].value, depth - 1)
                return False
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in STATS:
                return True
            return False
        if isinstance(expr, cst.BinaryOperation):
            return self.is_stat(expr.left, depth - 1) or self.is_stat(expr.right, depth - 1)
        if isinstance(expr, cst.Name):
            obj = self.m.value(expr)
            if obj is not None and obj.kind in ("opaque", "foreign") and obj.node is not expr \
                    and isinstance(obj.node, cst.BaseExpression):
                return self.is_stat(obj.node, depth - 1)
        return False

    def transform(self, expr, loopvars: frozenset[str] = frozenset(), depth: int = 4) -> str | None:
        """What hand transformation ``expr`` applies to simulated data."""
        if depth <= 0 or expr is None:
            return None
        if isinstance(expr, cst.Call):
            q = self.m.qualname(expr)
            if q is not None and q.split(".")[0] in ("numpy", "scipy", "math"):
                name = q.rsplit(".", 1)[-1]
                if name in LOG_LIKE and expr.args and self.contains_data(expr.args[0].value,
                                                                         loopvars):
                    return f"`{name}` transform"
                return None
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("astype",):
                return self.transform(expr.func.value, loopvars, depth - 1)
            return None
        if isinstance(expr, cst.BinaryOperation):
            op = type(expr.operator)
            if op is cst.Divide and self.is_stat(expr.right) and self.contains_data(expr.left,
                                                                                    loopvars):
                left = expr.left
                if isinstance(left, cst.BinaryOperation) and isinstance(left.operator,
                                                                        cst.Subtract):
                    return "standardisation `(x - mean) / std`"
                return "division by a computed statistic"
            if op is cst.Subtract and self.is_stat(expr.right) and self.contains_data(expr.left,
                                                                                      loopvars):
                return "centering `x - mean`"
        return None


def _aug_statement(model, target) -> cst.AugAssign | None:
    for aug in model.nodes(cst.AugAssign):
        if aug.target is target:
            return aug
    return None


class ManualPreprocessing(Rule):
    """## What it does
    Flags simulated data or parameters that are standardised or transformed
    by hand (`(x - x.mean()) / x.std()`, `np.log(theta)`, division by a
    computed standard deviation) between simulation (`workflow.simulate`,
    `simulator.sample`) and the workflow's training or diagnostics calls.

    ## Why is this bad?
    A transformation applied by hand to the training data is not applied by
    the workflow to validation, test or real data, nor undone on the
    posterior samples: the network is trained on one scale and queried on
    another, and the returned draws are on the wrong scale. The adapter
    (`.log`, `.constrain`, `.standardize`) and `standardize="all"` apply the
    same transformation everywhere and invert it for the samples.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    sims = workflow.simulate(10_000)
    sims["x"] = (sims["x"] - sims["x"].mean()) / sims["x"].std()
    sims["sigma"] = np.log(sims["sigma"])
    history = workflow.fit_offline(data=sims, validation_data=val)
    ```

    ## Use instead
    ```python
    adapter = bf.Adapter().log("sigma").concatenate(["sigma"], into="inference_variables")
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter, standardize="all")
    history = workflow.fit_offline(data=workflow.simulate(10_000), validation_data=val)
    ```
    """

    CODE = "BF106"
    NAME = "manual-preprocessing"
    SEVERITY = "W"
    MESSAGE = "{what} applies a hand-made {how} to simulated data before it reaches the workflow"
    FIX_TITLE = ("Remove it and let BayesFlow do it ({advice}), so that validation, test and "
                 "real data get the same treatment and the samples come back on the original "
                 "scale")

    def check(self, model):
        flow = _Flow(model)
        if not flow.uses:
            return
        reported: set[int] = set()

        def advise(how: str) -> str:
            if "standardisation" in how or "centering" in how or "division" in how:
                return '`standardize="all"` in `BasicWorkflow(...)`'
            return "`.log(key)` / `.constrain(key, lower=...)` in the adapter"

        # sims["x"] = transform(sims["x"])
        for rec in model.assignments:
            for t in rec.targets:
                if not isinstance(t, cst.Subscript):
                    continue
                k = flow.source(t.value)
                if k is None:
                    continue
                how = flow.transform(rec.value)
                if how is None or not flow.used_after(k, rec.index):
                    continue
                if id(rec.value) not in reported:
                    reported.add(id(rec.value))
                    yield self.report(rec.value, what=f"`{_code(t)} = ...`", how=how,
                                      advice=advise(how))
        # sims["x"] -= sims["x"].mean(); sims["x"] /= sims["x"].std()
        for rec in getattr(model, "aug_assignments", ()):
            t = rec.targets[0]
            aug = _aug_statement(model, t)
            if aug is None or not isinstance(t, cst.Subscript):
                continue
            k = flow.source(t.value)
            if k is None or not isinstance(aug.operator, (cst.SubtractAssign, cst.DivideAssign)):
                continue
            if not flow.is_stat(aug.value) or not flow.used_after(k, rec.index):
                continue
            how = ("centering `x -= mean`" if isinstance(aug.operator, cst.SubtractAssign)
                   else "scaling `x /= std`")
            if id(aug) not in reported:
                reported.add(id(aug))
                op = "-=" if isinstance(aug.operator, cst.SubtractAssign) else "/="
                yield self.report(aug, what=f"`{_code(t)} {op} ...`", how=how,
                                  advice=advise("standardisation"))
        # {k: (v - v.mean()) / v.std() for k, v in sims.items()}
        for rec in model.assignments:
            comp = rec.value
            if not isinstance(comp, cst.DictComp) or ("node", id(comp)) not in flow.parent:
                continue
            target = comp.for_in.target
            names = [n.value for n in walk(target) if isinstance(n, cst.Name)]
            loopvars = frozenset(names[-1:]) if isinstance(target, cst.Tuple) else frozenset()
            how = flow.transform(comp.value, loopvars)
            if how is None or not flow.used_after(("node", id(comp)), rec.index):
                continue
            if id(comp.value) not in reported:
                reported.add(id(comp.value))
                yield self.report(comp.value, what="The dict comprehension over simulations",
                                  how=how, advice=advise(how))
        # fit_offline(data={"x": (sims["x"] - m) / s, ...})
        for call in model.bf_calls(*USE_KINDS):
            for arg in call.node.args:
                d = arg.value
                if isinstance(d, cst.Name):
                    obj = model.value(d)
                    d = obj.node if obj is not None and obj.kind == "literal" else d
                if not isinstance(d, cst.Dict):
                    continue
                for el in d.elements:
                    if not isinstance(el, cst.DictElement):
                        continue
                    value = el.value
                    if isinstance(value, cst.Name):
                        obj = model.value(value)
                        if obj is not None and obj.kind in ("opaque", "foreign") and \
                                obj.node is not value:
                            value = obj.node
                    how = flow.transform(value)
                    if how is None or id(value) in reported:
                        continue
                    reported.add(id(value))
                    key = string_value(el.key)
                    where = f"the dict passed to `{call.bf}(...)`"
                    what = f'`"{key}"` in {where}' if key else f"A value in {where}"
                    yield self.report(value, what=what, how=how, advice=advise(how))
