"""Supports of random draws: whether a prior's value is drawn from a
bounded-support distribution (gamma, beta, uniform, ..., or a draw wrapped in
``abs`` / ``exp`` / ``softplus``) and its bounds, through affine maps with
constants. Distribution families and supports are data in
:mod:`bflint.analyze.numeric_data`."""

from __future__ import annotations

import libcst as cst

from bflint import bayesflow_api
from bflint.analyze import numeric_data as nd
from bflint.analyze.constants import is_constant, number
from bflint.analyze.draws import is_generator
from bflint.semantic.cst_util import argument
from bflint.semantic.values import FunctionInfo

UNKNOWN = object()  # a bound exists but its value is not known statically


class Bounded:
    """A bounded draw: the family name and its bounds (a number, the code of
    an expression, ``None`` for an open side, or ``UNKNOWN``)."""

    def __init__(self, family: str, support: str, low=None, high=None):
        self.family = family
        if support == "pos":
            low, high = 0, None
        elif support == "unit":
            low, high = 0, 1
        elif support == "other":
            low, high = UNKNOWN, UNKNOWN
        self.low, self.high = low, high

    @property
    def positive(self) -> bool:
        return self.low == 0 and self.high is None

    @property
    def known(self) -> bool:
        return self.low is not UNKNOWN and self.high is not UNKNOWN

    def affine(self, op: type, c: float, const_left: bool) -> "Bounded":
        """The bounds after ``c op x`` / ``x op c`` (numbers only)."""
        out = Bounded(self.family, "other")
        lo, hi = self.low, self.high
        nums = all(v is None or isinstance(v, (int, float)) for v in (lo, hi))
        if not nums or not self.known:
            return out

        def f(v):
            if v is None:
                return None
            if op is cst.Add:
                return v + c
            if op is cst.Subtract:
                return c - v if const_left else v - c
            if op is cst.Multiply:
                return v * c
            if op is cst.Divide and not const_left and c != 0:
                return v / c
            raise ValueError
        try:
            if op is cst.Subtract and const_left:
                a, b = f(hi), f(lo)  # c - x flips the interval
            elif op in (cst.Multiply, cst.Divide) and c < 0:
                a, b = f(hi), f(lo)
            elif op is cst.Multiply and c == 0:
                return out
            else:
                a, b = f(lo), f(hi)
        except ValueError:
            return out
        out.low, out.high = a, b
        return out

    def constrain_args(self) -> str:
        if not self.known:
            return "lower=..., upper=..."
        parts = []
        for name, v in (("lower", self.low), ("upper", self.high)):
            if v is None:
                continue
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            parts.append(f"{name}={round(v, 6) if isinstance(v, float) else v}")
        return ", ".join(parts) or "lower=..., upper=..."


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _bound(expr, default):
    if expr is None:
        return default
    if isinstance(expr, (cst.Integer, cst.Float)) or (
            isinstance(expr, cst.UnaryOperation) and isinstance(expr.expression, (cst.Integer,
                                                                                 cst.Float))):
        v = number(None, expr, None)
        return v if v is not None else _code(expr)
    return _code(expr)


def _family(name: str, library: str, call: cst.Call) -> Bounded:
    support = nd.SUPPORT[library][name]
    return _uniform(name, call, nd.UNIFORM_BOUNDS[library]) if support == "uniform" else Bounded(
        name, support)


def _uniform(family: str, call: cst.Call, names=("low", "high")) -> Bounded:
    lo = argument(call, 0, names[0])
    hi = argument(call, 1, names[1])
    if lo is None and hi is None:
        return Bounded(family, "unit")
    return Bounded(family, "uniform", _bound(lo, 0), _bound(hi, 1))


def bounded_draw(model, expr: cst.BaseExpression | None, f: FunctionInfo | None,
                 depth: int = 12) -> Bounded | None:
    """Whether ``expr`` (a prior's returned value) has bounded support."""
    if expr is None or depth <= 0:
        return None
    if isinstance(expr, cst.Name) and f is not None and expr.value in f.assigns:
        return bounded_draw(model, f.assigns[expr.value], f, depth - 1)
    if isinstance(expr, cst.BinaryOperation):
        op = type(expr.operator)
        if op is cst.Power:
            if is_constant(model, expr.left, f) and not isinstance(expr.left, cst.UnaryOperation):
                return Bounded("power", "other")
            return None
        if op in (cst.Add, cst.Subtract, cst.Multiply, cst.Divide):
            if is_constant(model, expr.left, f):
                inner, const, left = bounded_draw(model, expr.right, f, depth - 1), expr.left, True
            elif is_constant(model, expr.right, f):
                inner, const, left = bounded_draw(model, expr.left, f, depth - 1), expr.right, False
            else:
                return None
            if inner is None:
                return None
            if op is cst.Divide and left:
                return _reciprocal(inner, number(model, const, f))
            c = number(model, const, f)
            return inner.affine(op, c, left) if c is not None else Bounded(inner.family, "other")
        return None
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
        # an element of a bounded parameter vector has its support (``theta[0]``); other
        # indexing (``image[..., None]``) is left alone
        if expr.value.value in (f.assigns if f is not None else ()) and _element_index(expr):
            return bounded_draw(model, expr.value, f, depth - 1)
        return None
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = bounded_draw(model, expr.expression, f, depth - 1)
        return inner.affine(cst.Multiply, -1, True) if inner is not None else None
    if not isinstance(expr, cst.Call):
        return None
    event = model.call_event(expr)
    qualname, method, receiver = (None, None, None) if event is None else (
        event.qualname, event.method, event.receiver)
    name = (qualname.rsplit(".", 1)[-1] if qualname else
            method if method else expr.func.value if isinstance(expr.func, cst.Name) else None)
    if name is None:
        return None
    bare = qualname is None and method is None and isinstance(expr.func, cst.Name)
    from_lib = qualname is not None and qualname.split(".")[0] in nd.WRAPPER_LIBS
    # wrappers that make anything bounded
    if name in nd.POSITIVE_WRAPPERS and (bare or from_lib):
        return Bounded(name, "pos")
    if name in nd.UNIT_WRAPPERS and (bare or from_lib):
        return Bounded(name, "unit")
    # transparent conversions
    if name in nd.TRANSPARENT and (bare or (qualname or "").split(".")[0] == "numpy"):
        return bounded_draw(model, argument(expr, 0, "object"), f, depth - 1)
    if method in ("item", "astype", "squeeze", "copy") and isinstance(expr.func, cst.Attribute):
        return bounded_draw(model, expr.func.value, f, depth - 1)
    # draws
    if qualname is not None:
        parts = qualname.split(".")
        if parts[:2] == ["numpy", "random"] and len(parts) == 3 and name in nd.SUPPORT["numpy"]:
            return _family(name, "numpy", expr)
        if parts[0] == "random" and len(parts) == 2 and name in nd.SUPPORT["random"]:
            return _family(name, "random", expr)
        if parts[:2] == ["scipy", "stats"] and len(parts) == 4 and parts[3] == "rvs":
            return _scipy(parts[2], expr)
        if (parts[:2] in (["jax", "random"], ["keras", "random"])) and name in nd.SUPPORT["jax"]:
            support = nd.SUPPORT["jax"][name]
            return Bounded(name, "other" if support == "uniform" else support)
        return None
    if method is None:
        return None
    if method == "rvs" and receiver is not None and receiver.qualname:
        q = receiver.qualname
        if q.startswith("scipy.stats.") and q.endswith("()"):
            frozen = q[len("scipy.stats."):-2]
            if "." not in frozen:
                return _scipy(frozen, None)
        return None
    if method in nd.SUPPORT["numpy"] and event is not None and is_generator(event):
        return _family(method, "numpy", expr)
    return None


def _element_index(expr: cst.Subscript) -> bool:
    """``x[0]`` / ``x[-1]`` / ``x[:, 2]``: integer positions (and full slices) only."""
    ints = 0
    for el in expr.slice:
        sl = el.slice
        if isinstance(sl, cst.Index):
            v = sl.value
            if isinstance(v, cst.UnaryOperation) and isinstance(v.operator, cst.Minus):
                v = v.expression
            if not isinstance(v, cst.Integer):
                return False
            ints += 1
        elif not (isinstance(sl, cst.Slice) and sl.lower is None and sl.upper is None
                  and sl.step is None):
            return False
    return ints > 0


def draw_site(expr: cst.BaseExpression, f: FunctionInfo | None) -> cst.BaseExpression:
    """Where a returned value is drawn: ``theta[0]`` / ``theta`` -> the expression last
    assigned to ``theta`` in the prior (the line to report)."""
    for _ in range(6):
        base = expr.value if isinstance(expr, cst.Subscript) else expr
        if f is None or not isinstance(base, cst.Name) or base.value not in f.assigns:
            break
        expr = f.assigns[base.value]
    return expr


def _reciprocal(inner: Bounded, c: float | None) -> Bounded:
    """``c / x`` for a draw ``x`` on one side of 0 (``1 / (1 + exp(-z))`` is bounded on
    (0, 1), ``1 / gamma`` is positive); otherwise the bounds are unknown."""
    out = Bounded(inner.family, "other")
    lo, hi = inner.low, inner.high
    if not c or not inner.known or not isinstance(lo, (int, float)) or not (
            hi is None or isinstance(hi, (int, float))):
        return out
    if lo < 0:
        return out  # 0 inside the support (or below it): nothing simple
    m = abs(c)
    a: float = 0 if hi is None else m / hi
    b = None if lo == 0 else m / lo
    if c < 0:
        out.low, out.high = (None if b is None else -b), -a
    else:
        out.low, out.high = a, b
    if inner.family == "exp" and inner.low == 1 and inner.high is None:
        out.family = "logistic"  # ``1 / (1 + exp(-z))``
    return out


def _scipy(dist: str, call: cst.Call | None) -> Bounded | None:
    support = nd.SUPPORT["scipy.stats"].get(dist)
    if support is None:
        return None
    if support == "scipy_uniform":
        if call is None:
            return Bounded(dist, "other")
        loc, scale = (argument(call, i, k) for i, k in enumerate(nd.UNIFORM_BOUNDS["scipy.stats"]))
        if loc is None and scale is None:
            return Bounded(dist, "unit")
        return Bounded(dist, "other")
    return Bounded(dist, support)


def builtin_simulator_draws(model, sim) -> dict[str, tuple["Bounded", cst.CSTNode]]:
    """A built-in ``bf.simulators`` simulator whose prior (measured in the API data) draws
    its parameters with bounded support: parameter key -> (bounds, the constructor call).
    Empty when the simulator is not built-in, not recorded, unbounded, or its bounds are
    changed by the user (``TwoMoons(lower_bound=...)``, ``**kwargs``)."""
    if sim is None or not sim.qualname or not isinstance(sim.node, cst.Call):
        return {}
    record = bayesflow_api.builtin_simulator(sim.qualname)
    if record is None or record.get("support") is None or not record.get("parameters"):
        return {}
    support = record["support"]
    call = sim.node
    bound_kw = support.get("bound_keywords", ())
    if any(a.star for a in call.args) or any(
            (a.keyword is None and bound_kw) or (a.keyword is not None and a.keyword.value in bound_kw)
            for a in call.args):
        return {}
    b = Bounded(support["family"], "uniform", support["low"], support["high"])
    return {record["parameters"]: (b, call)}
