"""Helpers on LibCST nodes shared by the semantic model, the analyses and the
rules: literal strings and dicts, stable spellings of binding targets, a
walk over code-bearing children without LibCST's re-construction, and the
one argument lookup of a call (:func:`argument`)."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator

import libcst as cst


def string_value(expr: cst.CSTNode | None) -> str | None:
    if isinstance(expr, cst.SimpleString):
        raw = expr.value
        quote = raw[:1]
        if (quote in ("'", '"') and len(raw) >= 2 and raw[-1] == quote and "\\" not in raw
                and raw[:3] != quote * 3):
            return raw[1:-1]  # a plain one-line literal: no ast.literal_eval (a compile) needed
        try:
            # literal_eval compiles: no "SyntaxWarning: invalid escape sequence" on stderr
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = expr.evaluated_value
        except Exception:  # pragma: no cover - odd prefixes
            return None
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.ConcatenatedString):
        left, right = string_value(expr.left), string_value(expr.right)
        return None if left is None or right is None else left + right
    return None


def literal_dict(expr: cst.CSTNode | None) -> dict[str, cst.BaseExpression] | None:
    if isinstance(expr, cst.Dict):
        out = {}
        for el in expr.elements:
            if not isinstance(el, cst.DictElement):
                return None
            key = string_value(el.key)
            if key is None:
                return None
            out[key] = el.value
        return out
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and expr.func.value == "dict"
        and all(a.keyword is not None for a in expr.args)
    ):
        return {a.keyword.value: a.value for a in expr.args}  # type: ignore[union-attr]
    return None


def ref_key(expr: cst.CSTNode) -> str | None:
    """A stable spelling for a binding target: ``wf``, ``self.wf``,
    ``workflows['a']``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = ref_key(expr.value)
        return None if base is None else base + "." + expr.attr.value
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        index = expr.slice[0].slice
        if isinstance(index, cst.Index):
            key = string_value(index.value)
            if key is None and isinstance(index.value, cst.Integer):
                key = index.value.value
            base = ref_key(expr.value)
            if key is not None and base is not None:
                return f"{base}[{key!r}]"
    return None


def display_name(node: cst.CSTNode | None, limit: int = 40) -> str | None:
    """The script's own spelling of a name-like expression for messages:
    :func:`ref_key` (``wf``, ``self.wf``, ``workflows['a']``), else the source
    of an attribute / subscript chain over a name without calls
    (``workflows[name]``, ``wfs[i].inner``) up to ``limit`` characters; else None."""
    if node is None:
        return None
    key = ref_key(node)
    if key is not None:
        return key
    base = node
    while isinstance(base, (cst.Attribute, cst.Subscript)):
        base = base.value
    if not isinstance(base, cst.Name) or any(isinstance(n, cst.Call) for n in walk(node)):
        return None
    text = " ".join(cst.Module(body=[]).code_for_node(node).split())
    return text if len(text) <= limit else None


# Fields that hold no code worth walking (whitespace, punctuation, operators).
_SKIP_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "newline",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "equal",
        "colon",
        "dot",
        "operator",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "star",
        "asynchronous",
        "trailing_whitespace",
        "whitespace",
        "default_comma",
        "arrow",
        "star_arg",  # walked explicitly for Parameters
    }
)
_FIELDS_CACHE: dict[type, tuple[str, ...]] = {}


def _child_fields(t: type) -> tuple[str, ...]:
    names = _FIELDS_CACHE.get(t)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(t)
            if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS_CACHE[t] = names
    return names


_IS_NODE: dict[type, bool] = {}


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The code-bearing children of ``node``, in field order. A node test by
    exact type, cached (``isinstance`` against LibCST's abstract base class
    is the walk's cost otherwise)."""
    out: list[cst.CSTNode] = []
    is_node = _IS_NODE
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        t = type(value)
        found = is_node.get(t)
        if found is None:
            found = is_node[t] = issubclass(t, cst.CSTNode)
        if found:
            out.append(value)
        elif t is tuple or t is list or isinstance(value, (list, tuple)):
            for item in value:
                ti = type(item)
                found = is_node.get(ti)
                if found is None:
                    found = is_node[ti] = issubclass(ti, cst.CSTNode)
                if found:
                    out.append(item)
    return out


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Code-bearing children of ``node`` without LibCST's re-construction."""
    return iter(_children(node))


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Pre-order walk of code-bearing nodes (iterative, no recursion limit)."""
    stack = [node]
    pop, extend = stack.pop, stack.extend
    while stack:
        n = pop()
        yield n
        children = _children(n)
        if children:
            children.reverse()
            extend(children)


def dotted(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else base + "." + node.attr.value
    return None


def p_node(params: list[cst.Param], i: int) -> cst.CSTNode | None:
    return params[i] if i < len(params) else None



def argument(call: cst.Call, index: int | None, name: str | None) -> cst.BaseExpression | None:
    """The one argument lookup: the value passed as keyword ``name``, else the
    ``index``-th positional argument (``*args`` not counted); ``None`` when
    not passed. Positions of BayesFlow parameters come from the API data
    (:func:`bflint.bayesflow_api.parameter_position`)."""
    if name is not None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value == name:
                return a.value
    if index is None or index < 0:
        return None
    pos = [a for a in call.args if a.keyword is None and not a.star]
    return pos[index].value if index < len(pos) else None
