"""Supports of random draws: whether a prior's value is drawn from a
bounded-support distribution (gamma, beta, uniform, ..., or a draw wrapped in
``abs`` / ``exp`` / ``softplus``) and its bounds, through affine maps with
constants. Distribution families and supports are data in
:mod:`bflint.analyze.numeric_data`."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import libcst as cst

from bflint import bayesflow_api
from bflint.analyze import numeric_data as nd
from bflint.analyze.constants import is_constant, number
from bflint.analyze.draws import is_generator
from bflint.semantic.cst_util import argument, iter_children, literal_dict, string_value, walk
from bflint.semantic.values import FunctionInfo, FunctionObj, InstanceObj, SimulatorObj

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
        parts = []
        for name, v in (("lower", self.low), ("upper", self.high)):
            if v is None:
                continue
            if v is UNKNOWN:
                parts.append(f"{name}=...")
                continue
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            parts.append(f"{name}={round(v, 6) if isinstance(v, float) else v}")
        return ", ".join(parts) or "lower=..., upper=..."


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _bound(expr, default, model=None, f: FunctionInfo | None = None):
    if expr is None:
        return default
    if model is not None and not isinstance(expr, (cst.Integer, cst.Float, cst.UnaryOperation)):
        v = number(model, expr, f)  # ``rng.uniform(lo, hi)`` with ``lo`` a known number
        if v is not None:
            return v
    if isinstance(expr, (cst.Integer, cst.Float)) or (
            isinstance(expr, cst.UnaryOperation) and isinstance(expr.expression, (cst.Integer,
                                                                                 cst.Float))):
        v = number(None, expr, None)
        return v if v is not None else _code(expr)
    return _code(expr)


def _family(name: str, library: str, call: cst.Call, model=None,
            f: FunctionInfo | None = None) -> Bounded:
    support = nd.SUPPORT[library][name]
    if support != "uniform":
        return Bounded(name, support)
    return _uniform(name, call, nd.UNIFORM_BOUNDS[library], model, f)


def _uniform(family: str, call: cst.Call, names=("low", "high"), model=None,
             f: FunctionInfo | None = None) -> Bounded:
    if any(a.star for a in call.args):
        return Bounded(family, "other")  # ``rng.uniform(*bounds)``: bounded, bounds unknown
    lo = argument(call, 0, names[0])
    hi = argument(call, 1, names[1])
    if lo is None and hi is None:
        return Bounded(family, "unit")
    return Bounded(family, "uniform", _bound(lo, 0, model, f), _bound(hi, 1, model, f))


@functools.lru_cache(maxsize=16)
def _bindings(node: cst.FunctionDef) -> dict[str, int]:
    """How many times each name is bound in the function's own scope (assignments,
    unpacking, ``+=``, loop and ``with`` targets, walrus, nested defs, imports)."""
    out: dict[str, int] = {}

    def names(t):
        if isinstance(t, cst.Name):
            out[t.value] = out.get(t.value, 0) + 1
        elif isinstance(t, (cst.Tuple, cst.List)):
            for el in t.elements:
                names(el.value)
        elif isinstance(t, cst.StarredElement):
            names(t.value)

    stack: list[cst.CSTNode] = list(iter_children(node.body))
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            names(n.name)
            continue  # its own scope
        if isinstance(n, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            continue
        if isinstance(n, cst.Assign):
            for t in n.targets:
                names(t.target)
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign)):
            names(n.target)
        elif isinstance(n, cst.For):
            names(n.target)
        elif isinstance(n, cst.WithItem) and n.asname is not None:
            names(n.asname.name)
        elif isinstance(n, cst.NamedExpr):
            names(n.target)
        elif isinstance(n, cst.ExceptHandler) and n.name is not None:
            names(n.name.name)
        elif isinstance(n, (cst.Import, cst.ImportFrom)) and not isinstance(n.names, cst.ImportStar):
            for a in n.names:
                names(a.asname.name if a.asname is not None else a.name)
        stack.extend(iter_children(n))
    return out


def _assigned(f: FunctionInfo | None, name: str) -> cst.BaseExpression | None:
    """What ``name`` is bound to in ``f`` when that is its only binding (a name assigned
    twice, in branches or after ``+=`` / unpacking, is not known by its last assignment)."""
    if f is None or name not in f.assigns:
        return None
    return f.assigns[name] if _bindings(f.node).get(name, 0) <= 1 else None


def bounded_draw(model, expr: cst.BaseExpression | None, f: FunctionInfo | None,
                 depth: int = 12) -> Bounded | None:
    """Whether ``expr`` (a prior's returned value) has bounded support."""
    if expr is None or depth <= 0:
        return None
    if isinstance(expr, cst.Name) and _assigned(f, expr.value) is not None:
        return bounded_draw(model, _assigned(f, expr.value), f, depth - 1)
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
                # two draws (``r_m * c_m``): interval arithmetic on their known bounds
                a = bounded_draw(model, expr.left, f, depth - 1)
                b = bounded_draw(model, expr.right, f, depth - 1) if a is not None else None
                return _combine(op, a, b) if a is not None and b is not None else None
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
        if _assigned(f, expr.value.value) is not None and _element_index(expr):
            return bounded_draw(model, expr.value, f, depth - 1)
        return None
    if isinstance(expr, (cst.List, cst.Tuple)) and expr.elements and all(
            isinstance(el, cst.Element) for el in expr.elements):
        # ``np.array([phi1])``; several draws: the union of their supports (``[a, b]``)
        parts = []
        for el in expr.elements:
            b = bounded_draw(model, el.value, f, depth - 1)
            if b is None:
                return None
            parts.append((b, el.value))
        if len(parts) == 1:
            return parts[0][0]
        joined = _union(parts)
        return joined[0] if joined is not None else None
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
    if name in nd.STACKING and (qualname or "").split(".")[0] == "numpy":
        seq = argument(expr, 0, "arrays") or argument(expr, None, "tup")
        return bounded_draw(model, seq, f, depth - 1) if isinstance(seq, (cst.List, cst.Tuple)) \
            else None
    if method in ("item", "astype", "squeeze", "copy") and isinstance(expr.func, cst.Attribute):
        return bounded_draw(model, expr.func.value, f, depth - 1)
    # clipping bounds anything: ``np.clip(x, 5, 20)``, ``x.clip(0, None)``
    if (qualname == "numpy.clip" or (method == "clip" and qualname is None)) and not any(
            a.star for a in expr.args):
        off = 0 if method == "clip" else 1
        clipped = _clip(model, argument(expr, off, "a_min") or argument(expr, None, "min"),
                        argument(expr, off + 1, "a_max") or argument(expr, None, "max"), f)
        if clipped is not None:
            return clipped
    # a helper of this file returning a draw: its one return, the call's constants bound
    if qualname is None and method is None and isinstance(expr.func, cst.Name):
        return _helper_draw(model, expr, f, depth)
    # draws
    if qualname is not None:
        parts = qualname.split(".")
        if parts[:2] == ["numpy", "random"] and len(parts) == 3 and name in nd.SUPPORT["numpy"]:
            return _family(name, "numpy", expr, model, f)
        if parts[0] == "random" and len(parts) == 2 and name in nd.SUPPORT["random"]:
            return _family(name, "random", expr, model, f)
        if parts[:2] == ["scipy", "stats"] and len(parts) == 4 and parts[3] == "rvs":
            return _scipy(model, parts[2], expr, f)
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
                # ``stats.uniform(1, 2).rvs()``: the bounds are the frozen distribution's
                node = receiver.node if isinstance(receiver.node, cst.Call) else None
                return _scipy(model, frozen, node, f)
        return None
    if method in nd.SUPPORT["numpy"] and event is not None and is_generator(event):
        return _family(method, "numpy", expr, model, f)
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
        # through value-keeping conversions: ``np.array([phi1])``, ``float(x)``
        while True:
            if isinstance(expr, (cst.List, cst.Tuple)) and len(expr.elements) == 1 and isinstance(
                    expr.elements[0], cst.Element):
                expr = expr.elements[0].value
            elif isinstance(expr, cst.Call) and len(expr.args) == 1 and not expr.args[0].star and \
                    _func_name(expr.func) in nd.TRANSPARENT:
                expr = expr.args[0].value
            else:
                break
        base = expr.value if isinstance(expr, cst.Subscript) else expr
        bound = _assigned(f, base.value) if isinstance(base, cst.Name) else None
        if bound is None:
            break
        expr = bound
    return expr


def _func_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    return func.attr.value if isinstance(func, cst.Attribute) else None


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


def _scipy(model, dist: str, call: cst.Call | None, f: FunctionInfo | None) -> Bounded | None:
    support = nd.SUPPORT["scipy.stats"].get(dist)
    if support is None:
        return None
    if support == "scipy_uniform":  # [loc, loc + scale]
        if call is None or any(a.star for a in call.args):
            return Bounded(dist, "other")
        loc, scale = (argument(call, i, k) for i, k in enumerate(nd.UNIFORM_BOUNDS["scipy.stats"]))
        if loc is None and scale is None:
            return Bounded(dist, "unit")
        lo = 0 if loc is None else number(model, loc, f)
        width = 1 if scale is None else number(model, scale, f)
        low: object = lo if lo is not None else _code(loc) if loc is not None else UNKNOWN
        high: object
        if lo is not None and width is not None:
            high = lo + width
        elif loc is not None and scale is not None:
            high = f"{_code(loc)} + {_code(scale)}"
        else:
            high = UNKNOWN
        if width is not None and width <= 0:
            return Bounded(dist, "other")
        return Bounded(dist, "uniform", low, high)
    if support == "scipy_truncnorm":  # [loc + a * scale, loc + b * scale]
        if call is None or any(a.star for a in call.args):
            return Bounded(dist, "other")
        a, b, loc, scale = (argument(call, i, k) for i, k in enumerate(("a", "b", "loc", "scale")))
        if a is None or b is None:
            return None  # not a valid call: say nothing
        sides = [_infinite(model, v, f) for v in (a, b)]
        if sides == [-1, 1]:
            return None  # truncated at -inf and inf: a normal
        m = 0 if loc is None else number(model, loc, f, 8)
        sc = 1 if scale is None else number(model, scale, f, 8)
        out = Bounded(dist, "other")
        for i, (v, side) in enumerate(zip((a, b), sides)):
            z = number(model, v, f, 8)  # ``a = (low - mean) / std`` through local names
            bound: object
            if side:
                bound = None
            elif z is not None and m is not None and sc is not None:
                bound = round(m + z * sc, 10)
            else:
                bound = UNKNOWN
            if i == 0:
                out.low = bound
            else:
                out.high = bound
        return out
    return Bounded(dist, support)


def _infinite(model, expr, f: FunctionInfo | None, depth: int = 4) -> int:
    """``np.inf`` / ``-np.inf`` / ``float("inf")`` (through local names): 1 / -1, else 0."""
    if depth <= 0 or expr is None:
        return 0
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        return -_infinite(model, expr.expression, f, depth - 1)
    if isinstance(expr, cst.Name) and _assigned(f, expr.value) is not None:
        return _infinite(model, _assigned(f, expr.value), f, depth - 1)
    q = model.qualname(expr) if isinstance(expr, (cst.Attribute, cst.Name)) else None
    if q in ("numpy.inf", "numpy.infty", "numpy.Inf", "math.inf"):
        return 1
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "float" \
            and len(expr.args) == 1 and isinstance(expr.args[0].value, cst.SimpleString) \
            and (string_value(expr.args[0].value) or "").strip().lower() in ("inf", "+inf", "infinity"):
        return 1
    return 0


def _clip(model, lo, hi, f: FunctionInfo | None) -> Bounded | None:
    """The bounds of a clipped value: a side given by a number (or the code of an
    expression); ``None`` for an open side (not passed, ``None``)."""
    def side(v):
        if v is None or (isinstance(v, cst.Name) and v.value == "None"):
            return None
        n = number(model, v, f)
        return n if n is not None else _code(v)
    low, high = side(lo), side(hi)
    if low is None and high is None:
        return None
    return Bounded("clip", "uniform", low, high)


def _combine(op: type, a: Bounded, b: Bounded) -> Bounded | None:
    """``a op b`` for two draws with known numeric bounds (``None`` = open): the interval
    of the result, ``None`` when it is open on both sides or not known."""
    def num(v):
        return isinstance(v, (int, float))
    if not (a.known and b.known) or not all(v is None or num(v) for v in (a.low, a.high, b.low,
                                                                           b.high)):
        return None
    inf = math.inf
    a_lo, a_hi = (-inf if a.low is None else a.low), (inf if a.high is None else a.high)
    b_lo, b_hi = (-inf if b.low is None else b.low), (inf if b.high is None else b.high)

    def mul(x, y):
        return 0.0 if x == 0 or y == 0 else x * y  # 0 * inf = 0 for interval ends
    if op is cst.Add:
        lo, hi = a_lo + b_lo, a_hi + b_hi
    elif op is cst.Subtract:
        lo, hi = a_lo - b_hi, a_hi - b_lo
    else:
        if op is cst.Divide:  # a * (1 / b), b on one side of 0
            if b_lo >= 0 and b_hi > 0:
                b_lo, b_hi = (0.0 if b_hi == inf else 1 / b_hi), (inf if b_lo == 0 else 1 / b_lo)
            elif b_hi <= 0 and b_lo < 0:
                b_lo, b_hi = (-inf if b_hi == 0 else 1 / b_hi), (0.0 if b_lo == -inf else 1 / b_lo)
            else:
                return None
        elif op is not cst.Multiply:
            return None
        ends = [mul(x, y) for x in (a_lo, a_hi) for y in (b_lo, b_hi)]
        lo, hi = min(ends), max(ends)
    if math.isnan(lo) or math.isnan(hi) or (lo == -inf and hi == inf):
        return None
    family = a.family if a.family == b.family else f"{a.family}, {b.family}"
    out = Bounded(family, "other")
    out.low = None if lo == -inf else (int(lo) if float(lo).is_integer() else lo)
    out.high = None if hi == inf else (int(hi) if float(hi).is_integer() else hi)
    return out


def _helper_draw(model, call: cst.Call, f: FunctionInfo | None, depth: int,
                 element: bool = False):
    """``truncated_normal(mean=-55, std=2, low=-60, high=-50)`` with ``truncated_normal`` a
    function of this file with one ``return``: the support of what it returns, its
    parameters bound to the call's constant arguments (the others stay unknown)."""
    fobj = model.value(call.func)
    info = fobj.info if isinstance(fobj, FunctionObj) else None
    if info is None or info.is_method or len(info.returns) != 1 or any(a.star for a in call.args):
        return None
    ret = info.returns[0][0]
    if ret is None:
        return None
    params = info.node.params
    plist = list(params.posonly_params) + list(params.params)
    # parameter -> (argument, the function it is evaluated in)
    bound: dict[str, tuple[cst.BaseExpression, FunctionInfo | None]] = {}
    positional = [a.value for a in call.args if a.keyword is None]
    if len(positional) > len(plist):
        return None
    for p, v in zip(plist, positional):
        bound[p.name.value] = (v, f)
    names = {p.name.value for p in plist} | {p.name.value for p in params.kwonly_params}
    for a in call.args:
        if a.keyword is not None:
            if a.keyword.value not in names:
                return None
            bound[a.keyword.value] = (a.value, f)
    for p in plist + list(params.kwonly_params):
        if p.name.value not in bound and p.default is not None:
            bound[p.name.value] = (p.default, None)
    assigns = dict(info.assigns)
    for k, v in _unpacked(info).items():
        assigns.setdefault(k, v)
    for name, (v, ctx) in bound.items():
        if name in info.assigns or _bindings(info.node).get(name, 0):
            continue  # reassigned inside the helper
        n = number(model, v, ctx)
        if n is not None:
            assigns[name] = cst.parse_expression(repr(n))
    inlined = dataclasses.replace(info, assigns=assigns)
    if element:  # every element of what it returns (``np.stack(samples, axis=1)``)
        return _element_draw(model, ret, inlined, depth - 1)
    out = bounded_draw(model, ret, inlined, depth - 1)
    if out is not None:  # the code of the helper's own names means nothing at the call
        out.low = UNKNOWN if isinstance(out.low, str) else out.low
        out.high = UNKNOWN if isinstance(out.high, str) else out.high
    return out


def _unpacked(info: FunctionInfo) -> dict[str, cst.BaseExpression]:
    """``a, b = x, y`` in the function's own body (top level): ``{"a": x, "b": y}``."""
    out: dict[str, cst.BaseExpression] = {}
    body = info.node.body
    for line in getattr(body, "body", ()):
        for st in getattr(line, "body", ()) if isinstance(line, cst.SimpleStatementLine) else ():
            if not isinstance(st, cst.Assign) or len(st.targets) != 1:
                continue
            tg, val = st.targets[0].target, st.value
            if isinstance(tg, cst.Tuple) and isinstance(val, cst.Tuple) and len(tg.elements) == len(
                    val.elements):
                for t, v in zip(tg.elements, val.elements):
                    if isinstance(t.value, cst.Name) and isinstance(v, cst.Element):
                        out[t.value.value] = v.value
    return out


def prior_draws(model, sim) -> dict[str, tuple[FunctionInfo, cst.BaseExpression]] | None:
    """What the simulator's functions of this file draw, for the support of its parameters:
    key -> (function, expression) from literal dicts returned (also by a helper of this file
    whose result a function returns), whatever the other functions are and batched or not
    (the support of a draw depends on neither). A function of another module is taken not
    to redraw a key an earlier function drew (it computes data from it); a key that a later
    function of this file takes as a parameter and returns in something not literal may be
    redrawn: left out. ``None`` when the simulator is not known or nothing is drawn."""
    functions = sim.functions if isinstance(sim, SimulatorObj) else _sample_method(sim)
    if not functions:
        return None
    out: dict[str, tuple[FunctionInfo, cst.BaseExpression]] = {}
    for f in functions:
        if f is None:
            continue
        dicts = _returned_dicts(model, f)
        if dicts is None:
            for key in f.params:
                out.pop(key, None)
            continue
        for g, d in dicts:
            for key, expr in d.items():
                out[key] = (g, expr)  # names are followed where they are bound once
    return out or None


SPLAT = "**"  # prior_draws key: the ``**params`` part of a returned dict (its keys unknown)


def _sample_method(sim) -> list[FunctionInfo | None]:
    """An instance of a class of this file used as the simulator: its ``sample`` method
    (what BayesFlow calls), else nothing."""
    if not isinstance(sim, InstanceObj) or sim.cls is None or not sim.cls.instance_vars:
        return []
    fobj = sim.cls.instance_vars.get("self.sample")
    return [fobj.info] if isinstance(fobj, FunctionObj) and fobj.info is not None else []


def output_support(model, outputs: dict[str, tuple[FunctionInfo, cst.BaseExpression]], key: str
                   ) -> tuple[Bounded, cst.CSTNode] | None:
    """The support of the simulator output ``key`` (from :func:`prior_draws`) and where it is
    drawn; a key the returned dict does not spell comes from its ``**params`` part, every
    value of which must be bounded."""
    if key in outputs:
        f, draw = outputs[key]
        info = bounded_draw(model, draw, f)
        return None if info is None else (info, draw_site(draw, f))
    if SPLAT not in outputs:
        return None
    f, name = outputs[SPLAT]
    return _container_values(model, name, f) if isinstance(name, cst.Name) else None


def _literal_parts(model, f: FunctionInfo, expr) -> dict[str, cst.BaseExpression] | None:
    """A returned literal dict, also through a local name no statement mutates (``out =
    {**params, "trace": x}; return out``); a ``**name`` part is kept under ``SPLAT``."""
    if isinstance(expr, cst.Name) and _assigned(f, expr.value) is not None and not _mutated(
            f, expr.value):
        expr = _assigned(f, expr.value)
    d = literal_dict(expr)
    if d is not None or not isinstance(expr, cst.Dict):
        return d
    out: dict[str, cst.BaseExpression] = {}
    for el in expr.elements:
        if isinstance(el, cst.StarredDictElement) and isinstance(el.value, cst.Name) and \
                SPLAT not in out:
            out[SPLAT] = el.value
            continue
        if not isinstance(el, cst.DictElement):
            return None
        one = literal_dict(cst.Dict([el]))
        if not one:
            return None
        out.update(one)
    return out


def _mutated(f: FunctionInfo, name: str) -> bool:
    """``name[...] = ...``, ``name.update(...)`` / ``del name[...]`` / ``name |= ...`` in ``f``."""
    for n in walk(f.node):
        if isinstance(n, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)):
            targets = [t.target for t in n.targets] if isinstance(n, cst.Assign) else [n.target]
            for t in targets:
                if isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name) and \
                        t.value.value == name:
                    return True
                if isinstance(n, cst.AugAssign) and isinstance(t, cst.Name) and t.value == name:
                    return True
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and isinstance(
                n.func.value, cst.Name) and n.func.value.value == name and n.func.attr.value in (
                "update", "setdefault", "pop", "popitem", "clear", "__setitem__"):
            return True
    return False


# array methods and attributes that keep every element's value
_ELEMENT_KEEPING = frozenset({"reshape", "flatten", "ravel", "astype", "copy", "squeeze",
                              "transpose", "tolist", "item"})
_JOINS = frozenset({"stack", "array", "asarray", "concatenate", "column_stack", "vstack",
                    "hstack", "row_stack", "atleast_1d", "atleast_2d"})


def _container_values(model, name: cst.Name, f: FunctionInfo, depth: int = 10
                      ) -> tuple[Bounded, cst.CSTNode] | None:
    """``params = {key: [] for key in keys}`` filled by ``params[key].append(v)`` /
    ``params[key] = v`` only (and read, iterated, spread): the support every value has,
    ``None`` unless every stored value is bounded (an empty list, or a conversion of the
    entry itself, ``np.array(params[key])``, stores nothing new)."""
    x = name.value
    init = _assigned(f, x)
    if not isinstance(init, cst.DictComp) or any(isinstance(n, cst.For) and _binds(n.target, x)
                                                 for n in walk(f.node)):
        return None
    stored: list[cst.BaseExpression] = [init.value]
    parents = _parents(f.node)
    for n in walk(f.node):
        if not (isinstance(n, cst.Name) and n.value == x) or n is name:
            continue
        up = parents.get(n)
        if isinstance(up, cst.AssignTarget) and up.target is n:
            continue  # the one assignment (checked to be the comprehension above)
        if isinstance(up, cst.For) and up.iter is n:
            continue  # ``for key in params``
        if not (isinstance(up, cst.Subscript) and up.value is n):
            return None  # passed on, aliased, mutated otherwise: not known
        top = parents.get(up)
        if isinstance(top, cst.AssignTarget) and top.target is up:
            assign = parents.get(top)
            if not isinstance(assign, cst.Assign):
                return None
            stored.append(assign.value)
        elif isinstance(top, cst.Attribute) and top.value is up:
            call = parents.get(top)
            if top.attr.value != "append" or not isinstance(call, cst.Call) or call.func is not top \
                    or len(call.args) != 1:
                return None
            stored.append(call.args[0].value)
        elif isinstance(top, (cst.Del, cst.AugAssign)):
            return None
    found = []
    for v in stored:
        if isinstance(v, cst.List) and not v.elements:
            continue  # ``[]``: filled by the appends
        if _converts_entry(v, x):
            continue
        b = _element_draw(model, v, f, depth)
        if b is None:
            return None
        found.append(b)
    return _union(found)


def _converts_entry(v: cst.BaseExpression, x: str) -> bool:
    """``np.array(params[key]).reshape(-1, 1)``: the entry itself, converted."""
    for _ in range(6):
        if isinstance(v, cst.Subscript) and isinstance(v.value, cst.Name) and v.value.value == x:
            return True
        if isinstance(v, cst.Call) and isinstance(v.func, cst.Attribute) and \
                v.func.attr.value in _ELEMENT_KEEPING:
            v = v.func.value
        elif isinstance(v, cst.Call) and _func_name(v.func) in (_JOINS | nd.TRANSPARENT) and \
                len(v.args) >= 1 and not v.args[0].star:
            v = v.args[0].value
        else:
            return False
    return False


def _binds(target: cst.BaseExpression, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in walk(target))


@functools.lru_cache(maxsize=16)
def _parents(node: cst.CSTNode) -> dict[cst.CSTNode, cst.CSTNode]:
    """Child -> parent within a function (cached: asked once per stored value)."""
    out: dict[cst.CSTNode, cst.CSTNode] = {}
    for n in walk(node):
        for c in iter_children(n):
            out[c] = n
    return out


def _loop_iter(f: FunctionInfo, name: str) -> cst.BaseExpression | None:
    """``for name in it:`` the one binding of ``name`` in ``f``: ``it``."""
    if name in f.assigns or name in f.params or _bindings(f.node).get(name, 0) != 1:
        return None
    found = [n for n in walk(f.node) if isinstance(n, cst.For) and _binds(n.target, name)]
    if len(found) != 1 or not (isinstance(found[0].target, cst.Name)):
        return None
    return found[0].iter


def _element_draw(model, expr, f: FunctionInfo | None, depth: int
                  ) -> tuple[Bounded, cst.CSTNode] | None:
    """The support every element of the array ``expr`` has (and where it is drawn):
    through rows and items of arrays, ``dict(zip(keys, row))[key]``, joins of lists filled
    by ``.append`` (``np.stack(samples, axis=1)``), value-keeping methods and helpers of
    this file; ``None`` unless every element is bounded."""
    if depth <= 0 or expr is None:
        return None
    if isinstance(expr, cst.Name) and f is not None:
        if expr.value in f.assigns:
            return _element_draw(model, _assigned(f, expr.value), f, depth - 1)
        it = _loop_iter(f, expr.value)
        return _element_draw(model, it, f, depth - 1) if it is not None else None
    if isinstance(expr, cst.Subscript):
        base = expr.value
        bound = _assigned(f, base.value) if isinstance(base, cst.Name) else None
        if bound is not None:
            row = _zip_values(bound)
            if row is not None:  # ``dict(zip(keys, p))[key]``: an element of ``p``
                return _element_draw(model, row, f, depth - 1)
            if isinstance(bound, (cst.Dict, cst.DictComp)) or literal_dict(bound) is not None:
                return None  # a dict's entries need not share a support
        return _element_draw(model, base, f, depth - 1)  # an item / a row of an array
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in _ELEMENT_KEEPING and model.call_event(expr) is not None and \
            model.call_event(expr).qualname is None:
        return _element_draw(model, expr.func.value, f, depth - 1)
    if isinstance(expr, cst.Call) and (model.qualname(expr.func) or "").startswith("numpy.") and \
            _func_name(expr.func) in _JOINS and expr.args and not expr.args[0].star:
        items = expr.args[0].value
        if isinstance(items, (cst.List, cst.Tuple)):
            parts = [_element_draw(model, el.value, f, depth - 1) if isinstance(el, cst.Element)
                     else None for el in items.elements]
        elif isinstance(items, cst.Name) and f is not None:
            appended = _appended(f, items.value)
            if appended is None:
                return _element_draw(model, items, f, depth - 1)
            parts = [_element_draw(model, v, f, depth - 1) for v in appended]
        else:
            return None
        if not parts or any(p is None for p in parts):
            return None
        return _union([p for p in parts if p is not None])
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
        fobj = model.value(expr.func)
        if isinstance(fobj, FunctionObj) and fobj.info is not None:
            return _helper_draw(model, expr, f, depth, element=True)
    b = bounded_draw(model, expr, f, depth - 1)
    return None if b is None else (b, draw_site(expr, f))


def _zip_values(expr) -> cst.BaseExpression | None:
    """``dict(zip(keys, values))``: ``values``."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict" \
            and len(expr.args) == 1 and not expr.args[0].star:
        z = expr.args[0].value
        if isinstance(z, cst.Call) and isinstance(z.func, cst.Name) and z.func.value == "zip" and \
                len(z.args) == 2 and not any(a.star or a.keyword for a in z.args):
            return z.args[1].value
    return None


def _appended(f: FunctionInfo, name: str) -> list[cst.BaseExpression] | None:
    """``name = []`` then only ``name.append(v)`` (and reads): the ``v``s; else ``None``."""
    init = _assigned(f, name)
    if not (isinstance(init, cst.List) and not init.elements):
        return None
    parents = _parents(f.node)
    out = []
    for n in walk(f.node):
        if not (isinstance(n, cst.Name) and n.value == name):
            continue
        up = parents.get(n)
        if isinstance(up, cst.AssignTarget):
            if parents.get(up) is None or getattr(parents.get(up), "value", None) is not init:
                return None
            continue
        if isinstance(up, cst.Attribute) and up.value is n:
            call = parents.get(up)
            if up.attr.value == "append" and isinstance(call, cst.Call) and call.func is up and \
                    len(call.args) == 1 and not call.args[0].star:
                out.append(call.args[0].value)
                continue
            return None
        if isinstance(up, (cst.Arg, cst.Element)) or isinstance(up, cst.For):
            continue  # read: ``np.stack(samples)``, ``for s in samples``
        if isinstance(up, (cst.Subscript, cst.AugAssign, cst.Del)):
            return None
    return out


def _union(found: Sequence[tuple[Bounded, cst.CSTNode]]) -> tuple[Bounded, cst.CSTNode] | None:
    """One support for values of several draws: numeric bounds joined; a bound that is the
    code of an expression (a loop's variable) is unknown here."""
    if not found:
        return None
    families = sorted({b.family for b, _ in found})
    out = Bounded(", ".join(families), "other")
    for side, pick in (("low", min), ("high", max)):
        vals = [getattr(b, side) for b, _ in found]
        if any(v is None for v in vals):
            setattr(out, side, None)
        elif all(isinstance(v, (int, float)) for v in vals):
            setattr(out, side, pick(vals))
    if out.low is None and out.high is None:
        return None
    return out, found[0][1]


def _keyed_dict(model, f: FunctionInfo, expr
                ) -> list[tuple[FunctionInfo, dict[str, cst.BaseExpression]]] | None:
    """A dict filled key by key: ``theta = {}`` then only ``theta["a"] = v`` or
    ``theta[key] = v`` in ``for key in KEYS`` / ``for key, (lo, hi) in BOUNDS.items()``
    (static keys), or ``{k: v for k in KEYS}``; each value with the loop's names bound
    for its key (``lo, hi = BOUNDS[key]`` too). ``None`` when a store or use is not
    one of those."""
    if isinstance(expr, cst.DictComp):
        return _comprehension_dict(model, f, expr)
    if not isinstance(expr, cst.Name):
        return None
    x = expr.value
    init = _assigned(f, x)
    if isinstance(init, cst.DictComp):
        return _comprehension_dict(model, f, init) if not _mutated(f, x) else None
    if not (isinstance(init, cst.Dict) and not init.elements):
        return None
    parents = _parents(f.node)
    out: list[tuple[FunctionInfo, dict[str, cst.BaseExpression]]] = []
    for n in walk(f.node):
        if not (isinstance(n, cst.Name) and n.value == x):
            continue
        up = parents.get(n)
        if isinstance(up, cst.AssignTarget) or isinstance(up, cst.Return):
            continue
        if not (isinstance(up, cst.Subscript) and up.value is n and len(up.slice) == 1
                and isinstance(up.slice[0].slice, cst.Index)):
            return None
        target = parents.get(up)
        if not isinstance(target, cst.AssignTarget):
            if isinstance(target, (cst.Del, cst.AugAssign)) or (
                    isinstance(target, cst.Attribute) and target.value is up):
                return None
            continue  # a read: ``theta["a"] * 2``
        assign = parents.get(target)
        if not isinstance(assign, cst.Assign):
            return None
        key = up.slice[0].slice.value
        static = string_value(key)
        if static is not None:
            out.append((f, {static: assign.value}))
            continue
        if not isinstance(key, cst.Name):
            return None
        loop = _enclosing_loop(parents, assign, key.value)
        per_key = _loop_keys(model, f, loop, key.value) if loop is not None else None
        if per_key is None:
            return None
        for k, env in per_key:
            out.append((_with_names(model, f, env, loop), {k: assign.value}))
    return out


def _comprehension_dict(model, f: FunctionInfo, comp: cst.DictComp
                        ) -> list[tuple[FunctionInfo, dict[str, cst.BaseExpression]]] | None:
    """``{k: v for k in KEYS}`` (one ``for``, no ``if``) with static keys."""
    loop = comp.for_in
    if loop.inner_for_in is not None or loop.ifs or not isinstance(comp.key, cst.Name):
        return None
    per_key = _loop_keys(model, f, loop, comp.key.value)
    if per_key is None:
        return None
    return [(_with_names(model, f, env, None), {k: comp.value}) for k, env in per_key]


def _enclosing_loop(parents, node, name: str) -> cst.For | None:
    """The innermost ``for`` around ``node`` that binds ``name``."""
    up = parents.get(node)
    while up is not None and not isinstance(up, cst.FunctionDef):
        if isinstance(up, cst.For) and _binds(up.target, name):
            return up
        up = parents.get(up)
    return None


def _loop_keys(model, f: FunctionInfo, loop, name: str
               ) -> list[tuple[str, dict[str, cst.BaseExpression]]] | None:
    """For each static key the loop gives ``name``: the names it binds (``name`` and, over
    ``BOUNDS.items()``, the value's parts) to literals."""
    target, it = loop.target, loop.iter
    items = isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and \
        it.func.attr.value == "items" and not it.args
    if items:
        d = literal_dict(model.literal_node(it.func.value))
        if not d or not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
            return None
        first = target.elements[0].value
        if not (isinstance(first, cst.Name) and first.value == name):
            return None
        out = []
        for k, v in d.items():
            env: dict[str, cst.BaseExpression] = {name: cst.SimpleString(repr(k))}
            _unpack(target.elements[1].value, v, env)
            out.append((k, env))
        return out
    if not (isinstance(target, cst.Name) and target.value == name):
        return None
    keys = model.strings(it)
    if keys is None:
        if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and \
                it.func.attr.value == "keys" and not it.args:
            it = it.func.value
        d = literal_dict(model.literal_node(it))
        keys = list(d) if d else None
    if not keys:
        return None
    return [(k, {name: cst.SimpleString(repr(k))}) for k in keys]


def _unpack(target, value, env: dict[str, cst.BaseExpression]) -> None:
    """``(lo, hi)`` against the literal ``(5.0, 30.0)``: ``lo`` -> ``5.0``, ``hi`` -> ``30.0``."""
    if isinstance(target, cst.Name):
        env[target.value] = value
    elif isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) \
            and len(target.elements) == len(value.elements):
        for t, v in zip(target.elements, value.elements):
            if isinstance(v, cst.Element):
                _unpack(t.value, v.value, env)


def _with_names(model, f: FunctionInfo, env: dict[str, cst.BaseExpression], loop) -> FunctionInfo:
    """``f`` with the loop's names bound for one key, and ``lo, hi = BOUNDS[key]`` in the
    loop's body looked up for that key."""
    assigns = dict(f.assigns)
    assigns.update(env)
    if loop is not None:
        for n in walk(loop.body):
            if not (isinstance(n, cst.Assign) and len(n.targets) == 1):
                continue
            val = n.value
            if isinstance(val, cst.Subscript) and len(val.slice) == 1 and isinstance(
                    val.slice[0].slice, cst.Index):
                idx = val.slice[0].slice.value
                if isinstance(idx, cst.Name) and idx.value in env:
                    d = literal_dict(model.literal_node(val.value))
                    k = string_value(env[idx.value])
                    if d is not None and k in d:
                        _unpack(n.targets[0].target, d[k], assigns)
    return dataclasses.replace(f, assigns=assigns)


def _returned_dicts(model, f: FunctionInfo, depth: int = 2
                    ) -> list[tuple[FunctionInfo, dict[str, cst.BaseExpression]]] | None:
    """Every ``return`` of ``f`` a literal dict, or a call of a function of this file whose
    returns are (``return swift_baseline(nu, r, ...)``); else ``None``."""
    if not f.returns or depth <= 0:
        return None
    out = []
    for expr, _ in f.returns:
        d = _literal_parts(model, f, expr)
        if d is not None:
            out.append((f, d))
            continue
        keyed = _keyed_dict(model, f, expr)
        if keyed is not None:
            out.extend(keyed)
            continue
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
            fobj = model.value(expr.func)
            g = fobj.info if isinstance(fobj, FunctionObj) else None
            inner = _returned_dicts(model, g, depth - 1) if g is not None and g is not f else None
            if inner is not None:
                out.extend(inner)
                continue
        return None
    return out


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
