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
    """The expression a Name/Attribute stands for (literal, opaque value or a
    foreign call result), or None."""
    obj = model.value(expr)
    if obj is not None and obj.kind in ("literal", "opaque", "foreign"):
        node = obj.node
        if isinstance(node, cst.BaseExpression) and node is not expr and not (
            isinstance(node, cst.Name) and isinstance(expr, cst.Name) and node.value == expr.value
        ):
            return node
        return None
    if obj is None and function is not None and isinstance(expr, cst.Name):
        if expr.value in function.params and expr.value not in function.assigns:
            return None
        found = function.resolve_local(expr, depth=1)
        return None if found is expr else found
    return None


def static_int(model: "SemanticModel", expr: cst.CSTNode | None,
               function: "FunctionInfo | None" = None, depth: int = 6) -> int | None:
    """An integer known statically: literal, a name bound to one, simple arithmetic."""
    if expr is None or depth <= 0:
        return None
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.evaluated_value)
        except ValueError:  # pragma: no cover
            return None
    if isinstance(expr, (cst.Name, cst.Attribute)):
        target = follow(model, expr, function)
        return None if target is None else static_int(model, target, function, depth - 1)
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
