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
