"""Simulations and what a script does to them by hand before they reach
the workflow (BF106): which values are simulations (``workflow.simulate`` /
``simulator.sample`` results) or dicts derived from them, which reach a
BayesFlow call, and which hand transformations (standardisation, centering,
``np.log``) are applied. One :class:`SimulationFlow` per file
(``model.analysis(SimulationFlow)``)."""

from __future__ import annotations

import libcst as cst

from bflint.analyze import numeric_data as nd
from bflint.semantic.cst_util import walk

USE_KINDS = ("fit_offline", "fit_online", "fit_disk", "estimator_fit",
             "compute_default_diagnostics", "plot_default_diagnostics", "sample", "log_prob",
             "estimate")
COPY_METHODS = frozenset({"copy"})
ITER_METHODS = frozenset({"items", "keys", "values"})


def code_text(node: cst.CSTNode) -> str:
    text = cst.Module(body=[]).code_for_node(node)
    return text if len(text) <= 60 else text[:57] + "..."


class SimulationFlow:
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
                if q.split(".")[0] in nd.STAT_LIBS and name in nd.STATS:
                    return True
                if name == "sqrt" and expr.args:
                    return self.is_stat(expr.args[0].value, depth - 1)
                return False
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in nd.STATS:
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
                if name in nd.LOG_LIKE and expr.args and self.contains_data(expr.args[0].value,
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


def aug_statement(model, target) -> cst.AugAssign | None:
    for aug in model.nodes(cst.AugAssign):
        if aug.target is target:
            return aug
    return None
