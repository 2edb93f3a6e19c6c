"""Simulations and what a script does to them by hand before they reach
the workflow (BF106): which values are simulations (``workflow.simulate`` /
``simulator.sample`` results) or dicts derived from them, which reach a
BayesFlow call, and which hand transformations (standardisation, centering,
``np.log``) are applied. One :class:`SimulationFlow` per file
(``model.analysis(SimulationFlow)``)."""

from __future__ import annotations

import libcst as cst

from bflint.analyze import numeric_data as nd
from bflint.semantic.cst_util import string_value, walk

USE_KINDS = ("fit_offline", "fit_online", "fit_disk", "estimator_fit",
             "compute_default_diagnostics", "plot_default_diagnostics", "sample", "log_prob",
             "estimate")
# BayesFlow calls whose data arguments are simulated training / test data (not
# ``sample`` / ``log_prob``, whose conditions may be real observations)
TRAINING_KINDS = ("fit_offline", "fit_online", "fit_disk", "estimator_fit",
                  "compute_default_diagnostics", "plot_default_diagnostics")
# writers of a training bank (``np.savez("bank.npz", theta=...)``)
SAVERS = frozenset({"numpy.save", "numpy.savez", "numpy.savez_compressed", "pickle.dump",
                    "joblib.dump", "torch.save"})
# scikit-learn preprocessing that standardises / rescales
SKLEARN_SCALERS = frozenset({"StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler",
                             "Normalizer", "QuantileTransformer", "PowerTransformer"})
# names of statistics loaded from a file (``s["mean"]``, ``wave_std``)
_STAT_WORDS = ("mean", "std", "mu", "sigma", "scale", "loc", "var")
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
            chain: tuple | None = u
            seen: set[tuple] = set()
            while chain is not None and chain not in seen:
                if chain == k:
                    if any(i > index for i in idxs):
                        return True
                    break
                seen.add(chain)
                chain = self.parent.get(chain)
        return False

    # -- what reaches training ---------------------------------------------
    def reaching_training(self) -> frozenset[int]:
        """``id`` of every node whose value flows into the data of a training or
        diagnostics call (``fit_offline(data=...)``, ``validation_data=``,
        ``test_data=``), whatever the data came from (simulated here, loaded from a
        bank, returned by a helper). Cached."""
        cached = getattr(self, "_reaching", None)
        if cached is None:
            reaching: set[int] = set()
            # id -> node of the candidates for a later store, indexed once (each call
            # then looks up what its walk visited, not every node of the file)
            candidates = {id(n): n for n in
                          self.m.nodes(cst.BinaryOperation) + self.m.nodes(cst.Call)}
            for call in self.m.bf_calls(*TRAINING_KINDS):
                visited: set[int] = set()
                for arg in call.node.args:
                    if arg.keyword is not None and arg.keyword.value not in (
                            "data", "dataset", "validation_data", "test_data", "x"):
                        continue
                    self.m.origins(arg.value, limit=400, visited=visited)
                # the walk follows containers to every value stored into them: the
                # ones stored after the call did not reach it
                later = [n for n in (candidates.get(i) for i in visited)
                         if n is not None and self.m.stored_after(n, call.index)]
                for n in later:
                    visited.difference_update(id(x) for x in walk(n))
                reaching |= visited
            cached = self._reaching = frozenset(reaching)
        return cached

    def simulator_nodes(self) -> frozenset[int]:
        """``id`` of every node inside a simulator function (prior / likelihood given
        to ``make_simulator``): what happens there is the model, not preprocessing."""
        cached = getattr(self, "_sim_nodes", None)
        if cached is None:
            ids: set[int] = set()
            for f in self.m.functions:
                if id(f) in self.m.simulator_functions():
                    ids.update(id(n) for n in walk(f.node))
            cached = self._sim_nodes = frozenset(ids)
        return cached

    def standardisation(self, expr) -> str | None:
        """``(x - m) / s`` with ``m`` and ``s`` statistics (computed: ``x.mean(0)``,
        ``np.std(x)``, in this statement or another; or loaded: ``scaler["mean"]``,
        ``wave_std``), ``x / s`` with ``s`` a computed statistic, or a scikit-learn
        scaler's ``fit_transform`` / ``transform``: what it does, whatever ``x`` is."""
        if isinstance(expr, cst.Call):
            return self.sklearn_scaling(expr, None)
        if not isinstance(expr, cst.BinaryOperation) or not isinstance(expr.operator, cst.Divide):
            return None
        left = expr.left
        if isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Subtract):
            if self.any_stat(left.right) and self.any_stat(expr.right):
                return "standardisation `(x - mean) / std`"
            return None
        if self.is_stat(expr.right) and not self.is_stat(left) and not _constant(left):
            return "division by a computed statistic"
        return None

    def any_stat(self, expr) -> bool:
        return self.is_stat(expr) or self.loaded_stat(expr)

    def loaded_stat(self, expr, depth: int = 5) -> bool:
        """A statistic read from somewhere rather than computed: ``s["mean"]``,
        ``np.array(s["std"], dtype=...)``, ``wave_std[None, None, :]``, a name
        spelling one (``wave_mean``, ``x_std``)."""
        if depth <= 0 or expr is None:
            return False
        if isinstance(expr, cst.Subscript):
            if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
                key = string_value(expr.slice[0].slice.value)
                if key is not None:
                    return _stat_word(key)
            return self.loaded_stat(expr.value, depth - 1)
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("astype", "squeeze",
                                                                        "reshape"):
                return self.loaded_stat(func.value, depth - 1)
            q = self.m.qualname(expr)
            if q in ("numpy.array", "numpy.asarray", "numpy.float32", "numpy.float64", "float") \
                    or (q is None and isinstance(func, cst.Name) and func.value == "float"):
                return bool(expr.args) and self.loaded_stat(expr.args[0].value, depth - 1)
            return False
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self.loaded_stat(expr.left, depth - 1)  # ``std + 1e-8``
        if isinstance(expr, cst.Name):
            # a name spelling a statistic (``wave_mean``, ``x_std``), or bound to one;
            # not a constant (``scale = 10.0``: a fixed unit, not a statistic of the data)
            obj = self.m.value(expr)
            if obj is not None and any(isinstance(n, (cst.Integer, cst.Float, cst.UnaryOperation))
                                       for n in (obj.node, self.m.source_of(obj))):
                return False
            if _stat_word(expr.value):
                return True
            return obj is not None and isinstance(obj.node, cst.BaseExpression) and \
                obj.node is not expr and obj.kind in ("opaque", "foreign") and \
                self.loaded_stat(obj.node, depth - 1)
        return False

    def sklearn_scaling(self, call: cst.Call, loopvars) -> str | None:
        """``StandardScaler().fit_transform(x)`` / ``scaler.transform(x)`` with
        ``scaler`` a scikit-learn scaler (``loopvars`` None: whatever ``x`` is)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in (
                "fit_transform", "transform") or not call.args:
            return None
        base = func.value
        if isinstance(base, cst.Name):
            obj = self.m.value(base)
            base = obj.node if obj is not None and isinstance(obj.node, cst.Call) else base
        if not isinstance(base, cst.Call):
            return None
        q = self.m.qualname(base)
        if q is None or not q.startswith("sklearn.") or q.rsplit(".", 1)[-1] not in SKLEARN_SCALERS:
            return None
        if loopvars is not None and not self.contains_data(call.args[0].value, loopvars):
            return None
        return f"scikit-learn `{q.rsplit('.', 1)[-1]}`"

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
            return self.sklearn_scaling(expr, loopvars)
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


def _stat_word(name: str) -> bool:
    parts = name.lower().replace("-", "_").split("_")
    return any(p in _STAT_WORDS for p in parts)


def _constant(expr) -> bool:
    return isinstance(expr, (cst.Integer, cst.Float))


def aug_statement(model, target) -> cst.AugAssign | None:
    for aug in model.nodes(cst.AugAssign):
        if aug.target is target:
            return aug
    return None
