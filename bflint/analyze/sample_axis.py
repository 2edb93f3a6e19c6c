"""Does a simulator output carry a sample axis (a set, a time series, an
image), or was it flattened? The structure analysis behind BF104: draws
with ``size=``, lists of draws, flattening, and the exceptions (noise over a
fixed grid, draws located by a parameter vector: ordered fixed-length
vectors). Library facts come from :mod:`bflint.analyze.numeric_data`."""

from __future__ import annotations

import libcst as cst

from bflint.analyze import numeric_data as nd
from bflint.analyze.draws import draw_name
from bflint.semantic.cst_util import argument, walk
from bflint.semantic.values import FunctionInfo


class _Why(str):
    """A reason that remembers whether the sample axis of the draw is one
    axis (``size=n``): only then can an ordered vector absorb it."""

    one_axis: bool = False


def _is_scalar_size(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name) and expr.value == "None":
        return True
    if isinstance(expr, cst.Integer) and expr.value == "1":
        return True
    return isinstance(expr, (cst.Tuple, cst.List)) and not expr.elements


def _is_minus_one(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.Tuple, cst.List)) and len(expr.elements) == 1:
        expr = expr.elements[0].value
    return (isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus)
            and isinstance(expr.expression, cst.Integer) and expr.expression.value == "1")


def _flattened(inner: str | None, how: str) -> str | None:
    """A flattened array is structured only when what was flattened carries
    a sample axis; ``np.array([f(x), g(y)]).flatten()`` of hand-crafted
    summary statistics is a fixed-length vector."""
    return None if inner is None else f"{inner}, then flattened with {how}"


def simulation_inputs(outputs, targets) -> frozenset[str]:
    """The simulator outputs that the simulation of the ``targets`` keys takes as
    inputs: keys fed by name into the function that returns a target
    (``def likelihood(theta)``), or locals of that function the target's value is
    computed from (``theta = ...; x = rng.normal(theta[0], ...)`` returned as
    ``dict(theta=theta, x=x)``), and their own inputs in turn. In neural
    likelihood estimation these are the parameters: whatever their shape, they
    are not data."""
    if not outputs or not targets:
        return frozenset()
    found: set[str] = set()
    todo = [k for k in targets if k in outputs]
    done: set[str] = set()
    while todo:
        key = todo.pop()
        if key in done:
            continue
        done.add(key)
        f, expr = outputs[key]
        same_function = {id(e): k for k, (g, e) in outputs.items() if g is f and k != key}
        seen: set[int] = set()
        stack = [expr]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node is not expr and id(node) in same_function:
                up = same_function[id(node)]
                found.add(up)
                todo.append(up)
                continue
            skip: set[int] = set()
            for n in walk(node):
                if isinstance(n, cst.Attribute):
                    skip.add(id(n.attr))  # ``rng.normal``: not a name of the function
                elif isinstance(n, cst.Arg) and n.keyword is not None:
                    skip.add(id(n.keyword))
                if not isinstance(n, cst.Name) or id(n) in skip:
                    continue
                if n.value in f.assigns:
                    stack.append(f.assigns[n.value])
                elif n.value in f.params and n.value in outputs and outputs[n.value][0] is not f:
                    found.add(n.value)
                    todo.append(n.value)
    return frozenset(found - set(targets))


class SampleAxis:
    """Does one simulator output carry a sample axis (set / time series /
    image), or was it flattened?"""

    def __init__(self, model, outputs, targets=frozenset()):
        self.model = model
        self.outputs = outputs
        self.targets = targets  # keys routed to inference_variables

    def draw_name(self, call: cst.Call) -> str | None:
        """The numpy-style draw name when ``call`` is a random draw."""
        return draw_name(self.model.call_event(call))

    def vector_param(self, name: str) -> bool:
        """A prior output that is itself a vector (drawn with ``size=``)."""
        if self.outputs is None or name not in self.outputs:
            return False
        f, expr = self.outputs[name]
        if not isinstance(expr, cst.Call):
            return False
        draw = self.draw_name(expr)
        return draw is not None and self.sized(expr, draw) is not None

    def sized(self, call: cst.Call, name: str) -> cst.BaseExpression | None:
        if name in nd.DIMS_AS_ARGS:
            pos = [a for a in call.args if a.keyword is None and not a.star]
            return pos[0].value if pos else None
        size = argument(call, nd.DRAW_SIZE_POSITION.get(name) if name != "rvs" else None, "size")
        if size is None or _is_scalar_size(size):
            return None
        return size

    def reason(self, expr, f: FunctionInfo | None, depth: int = 8) -> str | None:
        if expr is None or depth <= 0:
            return None
        d = depth - 1
        if isinstance(expr, cst.Name):
            if f is not None and expr.value in f.assigns:
                return self.reason(f.assigns[expr.value], f, d)
            if f is not None and expr.value in f.params and self.outputs is not None and \
                    expr.value in self.outputs and self.outputs[expr.value][0] is not f:
                # a parameter fed by name with an earlier simulator output
                g, value = self.outputs[expr.value]
                return self.reason(value, g, d)
            return None
        if isinstance(expr, (cst.List, cst.Tuple)):
            # ``np.array([x1, x2])``: structured when an element is
            for el in expr.elements:
                if isinstance(el, cst.Element):
                    r = self.reason(el.value, f, d)
                    if r:
                        return r
            return None
        if isinstance(expr, cst.BinaryOperation):
            why = self.reason(expr.left, f, d) or self.reason(expr.right, f, d)
            if why and getattr(why, "one_axis", False) and not isinstance(
                    expr.operator, cst.MatrixMultiply) and (
                    self.ordered(expr.left, f) or self.ordered(expr.right, f)):
                # noise added to a curve over fixed times / positions: each element has
                # its own mean, an ordered fixed-length vector rather than a set
                return None
            return why
        if isinstance(expr, cst.UnaryOperation):
            return self.reason(expr.expression, f, d)
        if isinstance(expr, cst.Subscript):
            for item in expr.slice:
                idx = item.slice
                if isinstance(idx, cst.Index) and not (
                        isinstance(idx.value, (cst.Ellipsis,)) or
                        (isinstance(idx.value, cst.Name) and idx.value.value == "None") or
                        (isinstance(idx.value, cst.Attribute) and idx.value.attr.value == "newaxis")):
                    return None
            return self.reason(expr.value, f, d)
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
            return self.comprehension(expr, f)
        if not isinstance(expr, cst.Call):
            return None
        name = self.draw_name(expr)
        if name is not None:
            size = self.sized(expr, name)
            if size is None:
                return None
            if self.elementwise_over_vector(expr, f):
                return None
            shown = cst.Module(body=[]).code_for_node(size)
            why = _Why(f"drawn with a sample axis: `size={shown}`" if name not in nd.DIMS_AS_ARGS else (
                f"drawn with a sample axis: `{name}({shown}, ...)`"))
            why.one_axis = self.one_axis(expr, name, size, f)
            return why
        event = self.model.call_event(expr)
        qual = event.qualname if event is not None else None
        method = event.method if event is not None else None
        short = qual.rsplit(".", 1)[-1] if qual else None
        if qual and qual.split(".")[0] == "numpy":
            if short == "ravel" or (short == "reshape" and _is_minus_one(argument(expr, 1, "newshape")
                                                                          or cst.Name("x"))):
                # flattening only hides structure that is there: a fixed
                # vector of summary statistics stays a fixed vector
                inner = self.reason(argument(expr, 0, "a"), f, d)
                return _flattened(inner, f"`np.{short}`")
            if short in nd.ELEMENTWISE or short in nd.AXIS_KEEPING:
                for a in expr.args:
                    r = self.reason(a.value, f, d)
                    if r:
                        return r
                return None
            if short in nd.JOINS:
                first = argument(expr, 0, "arrays")
                if isinstance(first, (cst.List, cst.Tuple)):
                    for el in first.elements:
                        r = self.reason(el.value, f, d)
                        if r:
                            return str(r)
                    return None
                r = self.reason(first, f, d)
                return str(r) if r else None
            return None
        if qual is None and method is not None and isinstance(expr.func, cst.Attribute):
            if method in nd.FLATTEN_METHODS:
                return _flattened(self.reason(expr.func.value, f, d), f"`.{method}()`")
            if method == "reshape":
                args = [a.value for a in expr.args if a.keyword is None]
                if len(args) == 1 and _is_minus_one(args[0]):
                    return _flattened(self.reason(expr.func.value, f, d), "`.reshape(-1)`")
                return self.reason(expr.func.value, f, d)
            if method in nd.KEEP_METHODS:
                return self.reason(expr.func.value, f, d)
            return None
        if qual is None and method is None and isinstance(expr.func, cst.Name) and \
                expr.func.value in ("float",):
            return None
        return None

    def elementwise_over_vector(self, call: cst.Call, f: FunctionInfo | None) -> bool:
        """``rng.normal(theta, 0.1, size=D)`` with a vector parameter
        ``theta``, or ``rng.normal(a * np.exp(-b * TIMES), 0.1)`` with a
        location / scale that varies along the index: one noisy observation
        per element, an ordered vector, not a set."""
        per_element = self.draw_name(call) not in nd.EVENT_OR_POPULATION
        for a in call.args:
            if a.keyword is not None and a.keyword.value == "size":
                continue
            if per_element and self.ordered(a.value, f):
                return True
            # ``theta[0]``, ``field.mean()``, ``np.std(theta)``: one scalar of the vector
            indexed = {id(n.value) for n in walk(a.value) if isinstance(n, cst.Subscript)}
            indexed |= self.reduced(a.value)
            for node in walk(a.value):
                if isinstance(node, cst.Name) and f is not None and node.value in f.params:
                    # ``theta[0]`` is one scalar element of the vector
                    if id(node) not in indexed and self.vector_param(node.value):
                        return True
        return False

    def reduced(self, expr: cst.BaseExpression) -> set[int]:
        """Names (by id) reduced to one number in ``expr``: the receiver of
        ``x.mean()`` / ``x.std()`` or the argument of ``np.mean(x)`` (no ``axis=``)."""
        out: set[int] = set()
        for n in walk(expr):
            if not isinstance(n, cst.Call) or any(a.keyword is not None and a.keyword.value ==
                                                  "axis" for a in n.args):
                continue
            func = n.func
            if isinstance(func, cst.Attribute) and func.attr.value in nd.STATS and \
                    isinstance(func.value, cst.Name) and self.model.qualname(func) is None:
                if not [a for a in n.args if a.keyword is None]:
                    out.add(id(func.value))
                continue
            q = self.model.qualname(func)
            if q and q.split(".")[0] == "numpy" and q.rsplit(".", 1)[-1] in nd.STATS and \
                    len(n.args) == 1 and isinstance(n.args[0].value, cst.Name):
                out.add(id(n.args[0].value))
        return out

    def one_axis(self, call: cst.Call, name: str, size: cst.BaseExpression,
                 f: FunctionInfo | None) -> bool:
        """The draw has a single sample axis: ``size=n``, ``size=(n,)``,
        ``size=TIMES.shape`` of a 1-D grid, ``randn(n)``."""
        if name in nd.DIMS_AS_ARGS:
            return len([a for a in call.args if a.keyword is None and not a.star]) == 1
        for _ in range(4):
            if isinstance(size, cst.Name) and f is not None and size.value in f.assigns:
                size = f.assigns[size.value]
                continue
            if isinstance(size, cst.Name):
                obj = self.model.value(size)
                if obj is not None and obj.kind in ("literal", "opaque") and isinstance(
                        obj.node, cst.BaseExpression) and obj.node is not size:
                    size = obj.node
                    continue
            break
        if isinstance(size, (cst.Tuple, cst.List)):
            return len(size.elements) == 1
        if isinstance(size, cst.Attribute) and size.attr.value == "shape":
            return self.ordered(size.value, f)
        return isinstance(size, (cst.Integer, cst.Name, cst.Call, cst.BinaryOperation))

    def ordered(self, expr, f: FunctionInfo | None, depth: int = 12) -> bool:
        """A 1-D array whose values change along the index in a fixed order:
        a module-level constant vector (``TIMES = np.array([0.5, 1.0, 2.0])``),
        ``np.linspace`` / ``np.arange`` grids, expressions of them, a vector
        parameter routed to ``inference_variables``, or a draw whose location /
        scale is such an array. Scalars, elements (``TIMES[0]``) and
        exchangeable draws are not ordered."""
        if expr is None or depth <= 0:
            return False
        d = depth - 1
        if isinstance(expr, cst.Name):
            if f is not None and expr.value in f.assigns:
                return self.ordered(f.assigns[expr.value], f, d)
            if f is not None and expr.value in f.params:
                if self.outputs is None or expr.value not in self.outputs:
                    return False
                g, value = self.outputs[expr.value]
                if g is f:
                    return False
                if expr.value in self.targets and self.vector_param(expr.value):
                    return True  # one element per parameter of a parameter vector
                return self.ordered(value, g, d)
            obj = self.model.value(expr)
            if obj is not None and obj.kind in ("literal", "opaque", "foreign") and isinstance(
                    obj.node, cst.BaseExpression) and obj.node is not expr and not (
                    isinstance(obj.node, cst.Name) and obj.node.value == expr.value):
                return self.ordered(obj.node, None, d)
            return False
        if isinstance(expr, (cst.List, cst.Tuple)):
            values = []
            for el in expr.elements:
                v = el.value if isinstance(el, cst.Element) else None
                if isinstance(v, cst.UnaryOperation) and isinstance(v.operator, cst.Minus):
                    v = v.expression
                if not isinstance(v, (cst.Integer, cst.Float)):
                    return False
                values.append(cst.Module(body=[]).code_for_node(el.value))
            return len(set(values)) > 1
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.MatrixMultiply):
                return False
            return self.ordered(expr.left, f, d) or self.ordered(expr.right, f, d)
        if isinstance(expr, cst.UnaryOperation):
            return self.ordered(expr.expression, f, d)
        if isinstance(expr, cst.Subscript):
            for item in expr.slice:
                if not isinstance(item.slice, cst.Slice):
                    return False  # an element, or a new axis
            return self.ordered(expr.value, f, d)
        if not isinstance(expr, cst.Call):
            return False
        draw = self.draw_name(expr)
        if draw is not None:
            return draw not in nd.EVENT_OR_POPULATION and any(self.ordered(a.value, f, d) for a in expr.args
                       if not (a.keyword is not None and a.keyword.value == "size"))
        if isinstance(expr.func, cst.Name) and expr.func.value == "range" and \
                self.model.qualname(expr.func) is None:
            return True
        event = self.model.call_event(expr)
        qual = event.qualname if event is not None else None
        if qual and qual.split(".")[0] == "numpy":
            short = qual.rsplit(".", 1)[-1]
            if short in nd.GRIDS:
                return True
            if short in nd.ELEMENTWISE or short in nd.ORDER_KEEPING:
                return any(self.ordered(a.value, f, d) for a in expr.args if a.keyword is None)
            return False
        if qual is None and event is not None and event.method in ("astype", "copy") and \
                isinstance(expr.func, cst.Attribute):
            return self.ordered(expr.func.value, f, d)
        return False

    def comprehension(self, comp, f: FunctionInfo | None) -> str | None:
        """``[rng.normal(mu, s) for _ in range(n)]``: n exchangeable draws."""
        for_in = comp.for_in
        if for_in.inner_for_in is not None or not isinstance(for_in.iter, cst.Call):
            return None
        it = for_in.iter
        if not (isinstance(it.func, cst.Name) and it.func.value == "range"):
            return None
        targets = {n.value for n in walk(for_in.target) if isinstance(n, cst.Name)}
        has_draw = False
        for node in walk(comp.elt):
            if isinstance(node, cst.Name) and node.value in targets:
                return None  # depends on the index: an ordered vector
            if isinstance(node, cst.Call) and self.draw_name(node) is not None:
                has_draw = True
        if not has_draw:
            return None
        why = _Why("a list of draws built in a comprehension")
        why.one_axis = True
        return why
