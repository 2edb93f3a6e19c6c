from __future__ import annotations

import libcst as cst

from bflint.analyze.draws import rng_like_name
from bflint.semantic.values import FunctionInfo, SimulatorObj
from bflint.rule import Rule

# support of bounded families: "pos" = [0, inf), "unit" = [0, 1], "uniform" = [low, high]
NUMPY_BOUNDED = {
    "gamma": "pos", "standard_gamma": "pos", "exponential": "pos", "standard_exponential": "pos",
    "lognormal": "pos", "chisquare": "pos", "noncentral_chisquare": "pos", "poisson": "pos",
    "binomial": "pos", "negative_binomial": "pos", "geometric": "pos", "wald": "pos",
    "weibull": "pos", "pareto": "pos", "rayleigh": "pos", "f": "pos", "noncentral_f": "pos",
    "beta": "unit", "power": "unit", "dirichlet": "unit", "random": "unit", "rand": "unit",
    "random_sample": "unit", "ranf": "unit", "uniform": "uniform",
}
PY_RANDOM_BOUNDED = {
    "uniform": "uniform", "random": "unit", "gammavariate": "pos", "betavariate": "unit",
    "expovariate": "pos", "lognormvariate": "pos", "paretovariate": "pos",
    "weibullvariate": "pos", "binomialvariate": "pos",
}
SCIPY_BOUNDED = {
    "gamma": "pos", "expon": "pos", "lognorm": "pos", "halfnorm": "pos", "halfcauchy": "pos",
    "halft": "pos", "halflogistic": "pos", "chi2": "pos", "chi": "pos", "poisson": "pos",
    "binom": "pos", "nbinom": "pos", "geom": "pos", "invgamma": "pos", "weibull_min": "pos",
    "pareto": "pos", "rayleigh": "pos", "lomax": "pos", "invgauss": "pos", "betaprime": "pos",
    "loguniform": "pos", "reciprocal": "pos", "foldnorm": "pos", "foldcauchy": "pos",
    "truncexpon": "pos", "gengamma": "pos", "beta": "unit", "dirichlet": "unit",
    "uniform": "scipy_uniform",
}
JAX_KERAS_BOUNDED = {"gamma": "pos", "beta": "unit", "exponential": "pos", "uniform": "uniform",
                     "dirichlet": "unit", "poisson": "pos", "binomial": "pos"}
POSITIVE_WRAPPERS = {"abs", "absolute", "fabs", "exp", "exp2", "softplus"}
UNIT_WRAPPERS = {"sigmoid", "expit"}
TRANSPARENT = {"float", "float32", "float64", "asarray", "array", "atleast_1d", "squeeze"}
WRAPPER_LIBS = frozenset({"numpy", "math", "keras", "jax", "tensorflow", "torch", "scipy"})


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


def is_constant(model, expr, f: FunctionInfo | None, depth: int = 4) -> bool:
    if depth <= 0:
        return False
    if isinstance(expr, (cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.UnaryOperation):
        return is_constant(model, expr.expression, f, depth - 1)
    if isinstance(expr, cst.BinaryOperation):
        return is_constant(model, expr.left, f, depth - 1) and is_constant(model, expr.right, f,
                                                                             depth - 1)
    if isinstance(expr, cst.Name):
        if f is not None and expr.value in f.assigns:
            return is_constant(model, f.assigns[expr.value], f, depth - 1)
        obj = model.value(expr)
        return obj is not None and obj.kind == "opaque" and isinstance(obj.node, (cst.Integer,
                                                                                  cst.Float))
    return False


def number(model, expr, f: FunctionInfo | None, depth: int = 4) -> float | None:
    """The value of a constant numeric expression, or ``None``."""
    if depth <= 0:
        return None
    if isinstance(expr, cst.Integer):
        return int(expr.evaluated_value)
    if isinstance(expr, cst.Float):
        return float(expr.evaluated_value)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        v = number(model, expr.expression, f, depth - 1)
        return None if v is None else (-v if isinstance(expr.operator, cst.Minus) else v)
    if isinstance(expr, cst.BinaryOperation):
        a = number(model, expr.left, f, depth - 1)
        b = number(model, expr.right, f, depth - 1)
        if a is None or b is None:
            return None
        op = type(expr.operator)
        try:
            return {cst.Add: lambda: a + b, cst.Subtract: lambda: a - b,
                    cst.Multiply: lambda: a * b, cst.Divide: lambda: a / b}[op]()
        except (KeyError, ZeroDivisionError):
            return None
    if isinstance(expr, cst.Name):
        if f is not None and expr.value in f.assigns:
            return number(model, f.assigns[expr.value], f, depth - 1)
        obj = model.value(expr)
        if obj is not None and obj.kind == "opaque" and isinstance(obj.node, (cst.Integer,
                                                                              cst.Float)):
            return number(model, obj.node, None, depth - 1)
    return None


def _callee_parts(model, call: cst.Call) -> tuple[str | None, str | None, object]:
    """(qualname, method name, receiver Obj) of a call."""
    event = model.call_event(call)
    if event is None:
        return None, None, None
    return event.qualname, event.method, event.receiver


def _rng_receiver(model, call: cst.Call, receiver) -> bool:
    """``rng.gamma(...)``: a numpy Generator / RandomState / random.Random
    (or an unresolved name that looks like one)."""
    if receiver is not None and receiver.qualname:
        q = receiver.qualname
        return q.startswith(("numpy.random.", "random.")) or q in ("numpy.random",)
    if receiver is not None and receiver.kind not in ("param", "opaque"):
        return False
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    name = func.value
    text = name.value if isinstance(name, cst.Name) else (
        name.attr.value if isinstance(name, cst.Attribute) else "")
    return rng_like_name(text)


def _arg(call: cst.Call, index: int, name: str) -> cst.BaseExpression | None:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a.value
    pos = [a for a in call.args if a.keyword is None and not a.star]
    return pos[index].value if index < len(pos) else None


def _bound(expr, default):
    if expr is None:
        return default
    if isinstance(expr, (cst.Integer, cst.Float)) or (
            isinstance(expr, cst.UnaryOperation) and isinstance(expr.expression, (cst.Integer,
                                                                                 cst.Float))):
        v = number(None, expr, None)
        return v if v is not None else _code(expr)
    return _code(expr)


def _uniform(family: str, call: cst.Call, names=("low", "high")) -> Bounded:
    lo = _arg(call, 0, names[0])
    hi = _arg(call, 1, names[1])
    if lo is None and hi is None:
        return Bounded(family, "unit")
    return Bounded(family, "uniform", _bound(lo, 0), _bound(hi, 1))


def bounded_draw(model, expr: cst.BaseExpression | None, f: FunctionInfo | None,
                 depth: int = 6) -> Bounded | None:
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
                return Bounded(inner.family, "other")
            c = number(model, const, f)
            return inner.affine(op, c, left) if c is not None else Bounded(inner.family, "other")
        return None
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = bounded_draw(model, expr.expression, f, depth - 1)
        return inner.affine(cst.Multiply, -1, True) if inner is not None else None
    if not isinstance(expr, cst.Call):
        return None
    qualname, method, receiver = _callee_parts(model, expr)
    name = (qualname.rsplit(".", 1)[-1] if qualname else
            method if method else expr.func.value if isinstance(expr.func, cst.Name) else None)
    if name is None:
        return None
    bare = qualname is None and method is None and isinstance(expr.func, cst.Name)
    from_lib = qualname is not None and qualname.split(".")[0] in WRAPPER_LIBS
    # wrappers that make anything bounded
    if name in POSITIVE_WRAPPERS and (bare or from_lib):
        return Bounded(name, "pos")
    if name in UNIT_WRAPPERS and (bare or from_lib):
        return Bounded(name, "unit")
    # transparent conversions
    if name in TRANSPARENT and (bare or (qualname or "").split(".")[0] == "numpy"):
        return bounded_draw(model, _arg(expr, 0, "object"), f, depth - 1)
    if method in ("item", "astype", "squeeze", "copy") and isinstance(expr.func, cst.Attribute):
        return bounded_draw(model, expr.func.value, f, depth - 1)
    # draws
    if qualname is not None:
        parts = qualname.split(".")
        if parts[:2] == ["numpy", "random"] and len(parts) == 3 and name in NUMPY_BOUNDED:
            support = NUMPY_BOUNDED[name]
            return _uniform(name, expr) if support == "uniform" else Bounded(name, support)
        if parts[0] == "random" and len(parts) == 2 and name in PY_RANDOM_BOUNDED:
            support = PY_RANDOM_BOUNDED[name]
            return _uniform(name, expr, ("a", "b")) if support == "uniform" else Bounded(name,
                                                                                          support)
        if parts[:2] == ["scipy", "stats"] and len(parts) == 4 and parts[3] == "rvs":
            return _scipy(parts[2], expr)
        if (parts[:2] in (["jax", "random"], ["keras", "random"])) and name in JAX_KERAS_BOUNDED:
            support = JAX_KERAS_BOUNDED[name]
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
    if method in NUMPY_BOUNDED and _rng_receiver(model, expr, receiver):
        support = NUMPY_BOUNDED[method]
        return _uniform(method, expr) if support == "uniform" else Bounded(method, support)
    return None


def _scipy(dist: str, call: cst.Call | None) -> Bounded | None:
    support = SCIPY_BOUNDED.get(dist)
    if support is None:
        return None
    if support == "scipy_uniform":
        if call is None:
            return Bounded(dist, "other")
        loc, scale = _arg(call, 0, "loc"), _arg(call, 1, "scale")
        if loc is None and scale is None:
            return Bounded(dist, "unit")
        return Bounded(dist, "other")
    return Bounded(dist, support)


def handled_keys(wf) -> set[str] | None:
    """Keys the adapter constrains or log-transforms (``None`` when unknown;
    empty for the shorthand, which cannot constrain)."""
    if not wf.adapter_given:
        return set()
    adapter = wf.explicit_adapter
    if adapter is None:
        return None
    return adapter.keys_of("constrain", "log", "as_simplex")


class UnconstrainedBoundedParameter(Rule):
    """## What it does
    Flags a parameter that the prior draws from a bounded-support
    distribution (gamma, beta, exponential, uniform, lognormal, half-normal,
    chi-square, Poisson, binomial, Dirichlet, or a draw wrapped in `abs` /
    `exp` / `softplus`) and that is routed to `inference_variables` without
    the adapter ever calling `.constrain(<key>, ...)` or `.log(<key>)`.
    The finding is reported at the bounded draw in the prior.

    ## Why is this bad?
    The inference network models an unbounded space: without a constraint
    it puts posterior mass outside the support (negative standard
    deviations, probabilities above 1), which distorts calibration and can
    make posterior predictive simulations crash. The naming shorthand of
    `BasicWorkflow` cannot constrain at all.

    ## Example
    ```python
    def prior():
        return {"mu": rng.normal(), "sigma": rng.gamma(2.0, 1.0)}

    adapter = bf.Adapter().concatenate(["mu", "sigma"], into="inference_variables")
    ```

    ## Use instead
    ```python
    adapter = (
        bf.Adapter()
        .constrain("sigma", lower=0)
        .concatenate(["mu", "sigma"], into="inference_variables")
    )
    ```
    """

    CODE = "BF103"
    NAME = "unconstrained-bounded-parameter"
    SEVERITY = "E"
    MESSAGE = ("`{key}` is drawn from a bounded distribution (`{family}`) and routed to "
               "`inference_variables`, but {where}: {advice}")

    def check(self, model):
        seen: set[int] = set()
        for wf in model.workflows:
            outputs = wf.simulator_outputs()
            if outputs is None:
                continue
            routes = wf.routes()
            if routes is None:
                continue
            handled = handled_keys(wf)
            if handled is None:
                continue
            for key in dict.fromkeys(k for k, _ in routes["inference_variables"]):
                if key in handled or key not in outputs:
                    continue
                f, draw = outputs[key]
                info = bounded_draw(model, draw, f)
                if info is None or id(draw) in seen:
                    continue
                seen.add(id(draw))
                call = f'`.constrain("{key}", {info.constrain_args()})`'
                if info.positive:
                    call += f' (or `.log("{key}")`)'
                elif not info.known:
                    call += " with the bounds of its support"
                if wf.adapter_given:
                    where = "the adapter never constrains it"
                    advice = f"add {call} to the adapter"
                else:
                    where = "the `BasicWorkflow` shorthand cannot constrain parameters"
                    advice = f"use an explicit `bf.Adapter()` with {call} and pass it as `adapter=`"
                yield self.report(draw, key=key, family=info.family, where=where, advice=advice)
