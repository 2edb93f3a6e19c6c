"""Random draws: the one notion of "this receiver is a random generator" and
"this call draws random numbers", shared by the shape analysis, BF103,
BF104, BF402 and BF502. Facts about the libraries come from
:mod:`bflint.analyze.numeric_data`."""

from __future__ import annotations

import libcst as cst

from bflint.analyze import numeric_data as nd
from bflint.semantic.values import CallEvent


def rng_like_name(text: str) -> bool:
    """An unresolved receiver name that looks like a random generator
    (``rng``, ``self.random``, ``gen``, ``g``, ``key``...: the last component)."""
    low = text.lower()
    return low in nd.RNG_NAMES or any(h in low for h in nd.RNG_NAME_HINTS)


def _receiver_text(call: cst.Call) -> str:
    func = call.func
    base = func.value if isinstance(func, cst.Attribute) else None
    if isinstance(base, cst.Name):
        return base.value
    if isinstance(base, cst.Attribute):
        return base.attr.value
    return ""


def is_generator(event: CallEvent) -> bool:
    """The receiver of the method call ``event`` is a random generator: built
    by ``np.random.default_rng()`` / ``RandomState()`` / ``random.Random()``,
    reached through ``numpy.random`` / ``random``, or an unresolved value
    (parameter, opaque binding, unbound name) whose name looks like one.
    Decided here once for every rule."""
    if event.method is None or not isinstance(event.node.func, cst.Attribute):
        return False
    r = event.receiver
    if r is not None and r.qualname:
        q = r.qualname
        return q.startswith(nd.RNG_MODULE_PREFIXES) or q in nd.RNG_MODULES
    if r is not None and r.kind not in ("param", "opaque"):
        return False
    return rng_like_name(_receiver_text(event.node))


def draw_name(event: CallEvent | None) -> str | None:
    """The numpy-style name of a call that produces random numbers with a
    size (``normal``, ``gamma``, ``choice``, ``rand``...; ``rvs`` for
    scipy.stats), else ``None``."""
    if event is None:
        return None
    if event.qualname:
        parts = event.qualname.split(".")
        if parts[:2] == ["numpy", "random"] and len(parts) == 3:
            return parts[2]
        if parts[:2] == ["scipy", "stats"] and parts[-1] == "rvs":
            return "rvs"
        return None
    if event.method == "rvs" and event.receiver is not None and (
            event.receiver.qualname or "").startswith("scipy.stats."):
        return "rvs"
    if (event.method in nd.DRAW_SIZE_POSITION or event.method in nd.DIMS_AS_ARGS) and \
            is_generator(event):
        return event.method
    return None


def random_draw(event: CallEvent) -> list[cst.BaseExpression] | None:
    """When the call draws random numbers from a distribution
    (``np.random.normal``, ``rng.poisson``, ``scipy.stats.norm.rvs``,
    ``stats.norm(mu).rvs()``, ``random.gauss``...), the expressions that
    parameterise it (its arguments, plus those of a frozen scipy
    distribution); else ``None``. Shuffling / choice / integers / seeding
    are not draws."""
    args = [a.value for a in event.node.args]
    q = event.qualname
    if q is not None:
        last = q.rsplit(".", 1)[-1]
        if last in nd.NOT_DRAWS:
            return None
        if q.startswith(nd.RANDOM_MODULES):
            return args
        if q.startswith("scipy.stats.") and last == "rvs":
            return args
        if q in nd.TORCH_DRAWS:
            return args
        return None
    m = event.method
    if m is None or m in nd.NOT_DRAWS:
        return None
    r = event.receiver
    if m == "rvs":
        if r is not None and r.kind == "foreign" and (r.qualname or "").startswith("scipy.stats."):
            if isinstance(r.node, cst.Call):
                args += [a.value for a in r.node.args]
            return args
        return None
    if m not in nd.DRAW_METHODS:
        return None
    return args if is_generator(event) else None

