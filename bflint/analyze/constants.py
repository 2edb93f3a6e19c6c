"""Constant folding over the semantic model: integers known statically
(literals, names bound to them, simple arithmetic) and the numbers of
constant numeric expressions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from bflint.semantic.model import SemanticModel
    from bflint.semantic.values import FunctionInfo


def follow(model: "SemanticModel", expr: cst.CSTNode, function: "FunctionInfo | None"):
    """The expression a Name/Attribute/item stands for (literal, opaque value or
    a foreign call result), or None."""
    found = follow_in(model, expr, function)
    return None if found is None else found[0]


def follow_in(model: "SemanticModel", expr: cst.CSTNode, function: "FunctionInfo | None"):
    """``(expression, function it belongs to)`` for what a name stands for: its
    binding (``H = W = 28``), its element of an unpacking (``H, W = 2 * N, 2 * N``),
    an item of a literal container (``CONFIG["size"]``, ``SHAPE[0]``), or, for a
    parameter of a simulator function, the value an earlier function of the
    simulator returns under that name (``def observe(field)``). ``None`` when unknown."""
    obj = model.value(expr)
    if obj is not None and obj.kind in ("literal", "opaque", "foreign"):
        if model.alternatives(obj):
            return None  # ``if fast: H = 8 else: H = 64``: no one value
        node = obj.node
        if isinstance(node, cst.BaseExpression) and node is not expr and not (
            isinstance(node, cst.Name) and isinstance(expr, cst.Name) and node.value == expr.value
        ):
            return node, function
        if isinstance(node, cst.Name) and isinstance(expr, cst.Name):
            element = model.analysis(_unpacked).get(id(node))
            if element is not None:
                return element
        if not isinstance(expr, cst.Subscript):
            return None
    if isinstance(expr, cst.Subscript):
        return _item(model, expr, function)
    if (obj is None or obj.kind == "param") and function is not None and isinstance(expr,
                                                                                  cst.Name):
        if expr.value in function.params and expr.value not in function.assigns:
            fed = model.analysis(_fed_params).get((id(function), expr.value))
            return fed if fed else None
        found = function.resolve_local(expr, depth=1)
        return None if found is expr else (found, function)
    return None


def _unpacked(model) -> dict[int, tuple[cst.BaseExpression, "FunctionInfo | None"]]:
    """Target name (by id) -> its element of an unpacking of a literal tuple or list:
    ``H, W = 28, 28`` / ``(a, b), c = (1, 2), 3``."""
    out: dict[int, tuple[cst.BaseExpression, FunctionInfo | None]] = {}

    def pair(target, value, f):
        if len(target.elements) != len(value.elements) or any(
                isinstance(el, cst.StarredElement) for el in (*target.elements, *value.elements)):
            return
        for t, v in zip(target.elements, value.elements):
            if isinstance(t.value, cst.Name):
                out[id(t.value)] = (v.value, f)
            elif isinstance(t.value, (cst.Tuple, cst.List)) and isinstance(v.value, (cst.Tuple,
                                                                                      cst.List)):
                pair(t.value, v.value, f)

    for rec in model.assignments:
        value = rec.value
        if isinstance(value, cst.Name):  # ``H, W = SHAPE`` with ``SHAPE = (32, 32)``
            obj = model.value(value)
            value = obj.node if obj is not None and obj.kind == "literal" and not \
                model.alternatives(obj) else value
        for target in rec.targets:
            if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple,
                                                                               cst.List)):
                pair(target, value, rec.function)
    return out


def _fed_params(model) -> dict[tuple[int, str], tuple[cst.BaseExpression, "FunctionInfo"] | None]:
    """(simulator function id, parameter) -> (expression, function) an earlier
    function of the simulator returns under that name; ``None`` when two
    simulators feed it differently."""
    out: dict[tuple[int, str], tuple[cst.BaseExpression, FunctionInfo] | None] = {}
    for sim in model.simulators:
        try:
            outputs = sim.outputs()
        except Exception:  # pragma: no cover - defensive: an odd simulator is unknown
            outputs = None
        if not outputs:
            continue
        for f in sim.functions:
            if f is None:
                continue
            for p in f.params:
                if p not in outputs or outputs[p][0] is f:
                    continue
                g, value = outputs[p]
                key = (id(f), p)
                known = out.get(key)
                if key in out and (known is None or known[0] is not value):
                    out[key] = None
                else:
                    out[key] = (value, g)
    return out


def _item(model, expr: cst.Subscript, function):
    """``CONFIG["size"]`` / ``SHAPE[0]`` of a literal dict, tuple or list."""
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    index = expr.slice[0].slice.value
    container, f = expr.value, function
    for _ in range(4):
        if isinstance(container, (cst.Dict, cst.Tuple, cst.List)):
            break
        if not isinstance(container, (cst.Name, cst.Attribute)):
            return None
        found = follow_in(model, container, f)
        if found is None:
            return None
        container, f = found
    if isinstance(container, cst.Dict):
        key = _string(index)
        if key is None:
            return None
        hits = [el.value for el in container.elements
                if isinstance(el, cst.DictElement) and _string(el.key) == key]
        if any(isinstance(el, cst.StarredDictElement) for el in container.elements) or \
                len(hits) != 1:
            return None
        return hits[0], f
    if isinstance(container, (cst.Tuple, cst.List)):
        i = static_int(model, index, function)
        elements = container.elements
        if i is None or any(isinstance(el, cst.StarredElement) for el in elements):
            return None
        if -len(elements) <= i < len(elements):
            return elements[i].value, f
    return None


def _string(expr) -> str | None:
    if isinstance(expr, cst.SimpleString):
        try:
            value = expr.evaluated_value
        except Exception:  # pragma: no cover
            return None
        return value if isinstance(value, str) else None
    return None


def static_int(model: "SemanticModel", expr: cst.CSTNode | None,
               function: "FunctionInfo | None" = None, depth: int = 6) -> int | None:
    """An integer known statically: literal, a name bound to one, simple arithmetic."""
    if expr is None or depth <= 0:
        return None
    depth = min(depth, 8)  # callers with larger budgets (shapes): integers stay cheap
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.evaluated_value)
        except ValueError:  # pragma: no cover
            return None
    if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
        found = follow_in(model, expr, function)
        return None if found is None else static_int(model, found[0], found[1], depth - 1)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        n = static_int(model, expr.expression, function, depth - 1)
        return None if n is None else -n
    if isinstance(expr, cst.BinaryOperation):
        a = static_int(model, expr.left, function, depth - 1)
        b = static_int(model, expr.right, function, depth - 1)
        if a is None or b is None:
            return None
        op = expr.operator
        if isinstance(op, cst.Add):
            return a + b
        if isinstance(op, cst.Subtract):
            return a - b
        if isinstance(op, cst.Multiply):
            return a * b
        if isinstance(op, cst.FloorDivide) and b:
            return a // b
        return None
    return None


def is_constant(model, expr, f: "FunctionInfo | None", depth: int = 4) -> bool:
    """A numeric expression of literals (through local assignments and names bound to numbers)."""
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


def number(model, expr, f: "FunctionInfo | None", depth: int = 4) -> float | None:
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
