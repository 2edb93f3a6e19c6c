"""Static shapes of simulated values (one simulation, no batch axis):
``()`` for scalars, ``(k,)`` for ``size=k``, ``(H, W, C)`` for
``rng.normal(size=(H, W, C))``; ``None`` when unknown. Library facts come
from :mod:`bflint.analyze.numeric_data`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bflint.analyze import numeric_data as nd
from bflint.analyze.constants import follow_in, static_int
from bflint.analyze.draws import is_generator
from bflint.semantic.cst_util import argument

if TYPE_CHECKING:  # pragma: no cover
    from bflint.semantic.model import SemanticModel
    from bflint.semantic.values import FunctionInfo


# Budgets: each level of an expression costs 1, following a name to its binding
# (or a parameter to the earlier simulator function) costs FOLLOW more, so long
# arithmetic stays in reach while chains of names stay short (cost bounded even
# for ``x1 = x0 + x0; x2 = x1 + x1; ...``).
FOLLOW = 3
DEPTH = 32


def _shape_arg(model, expr, function, depth) -> tuple[int, ...] | None:
    """A ``size=`` / shape argument: int, tuple/list of ints, or None (scalar)."""
    if isinstance(expr, cst.Name) and expr.value == "None":
        return ()
    n = _int(model, expr, function, depth)
    if n is not None:
        return (n,) if n >= 0 else None
    dims = static_dims(model, expr, function, depth)
    return None if dims is None or any(d < 0 for d in dims) else dims


def static_dims(model, expr, function, depth: int = DEPTH) -> tuple[int, ...] | None:
    """A tuple of integers known statically, as a shape is written: ``(H, W, 1)``,
    a name bound to one, ``SHAPE + (1,)``, ``(*SHAPE, 1)``, ``(28,) * 2``,
    ``SHAPE[:2]``, ``tuple(SHAPE)``, ``field.shape``. ``None`` when unknown."""
    if expr is None or depth <= 0:
        return None
    d = depth - 1
    if isinstance(expr, (cst.Tuple, cst.List)):
        dims: list[int] = []
        for el in expr.elements:
            if isinstance(el, cst.StarredElement):
                inner = static_dims(model, el.value, function, d)
                if inner is None:
                    return None
                dims.extend(inner)
                continue
            n = _int(model, el.value, function, d)
            if n is None:
                return None
            dims.append(n)
        return tuple(dims)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "shape":
        return static_shape(model, expr.value, function, d)
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Add):
            a = static_dims(model, expr.left, function, d)
            if a is None:
                return None
            b = static_dims(model, expr.right, function, d)
            return None if b is None else a + b
        if isinstance(expr.operator, cst.Multiply):
            for seq, times in ((expr.left, expr.right), (expr.right, expr.left)):
                if isinstance(seq, (cst.Integer, cst.BinaryOperation)):
                    continue
                k = static_int(model, times, function, d)
                if k is None or not 0 <= k <= 8:
                    continue
                a = static_dims(model, seq, function, d)
                if a is not None:
                    return a * k
        return None
    if isinstance(expr, cst.Subscript):
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Slice):
            found = follow_in(model, expr, function)
            return None if found is None else static_dims(model, found[0], found[1], d - FOLLOW)
        base = static_dims(model, expr.value, function, d)
        sl = expr.slice[0].slice
        if base is None or sl.step is not None:
            return None
        lo = 0 if sl.lower is None else static_int(model, sl.lower, function, d)
        hi = len(base) if sl.upper is None else static_int(model, sl.upper, function, d)
        return None if lo is None or hi is None else base[lo:hi]
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and \
            expr.func.value in ("tuple", "list") and len(expr.args) == 1 and \
            not expr.args[0].star and expr.args[0].keyword is None:
        event = model.call_event(expr)
        if event is not None and event.local is None and event.qualname is None:
            return static_dims(model, expr.args[0].value, function, d)
        return None
    if isinstance(expr, (cst.Name, cst.Attribute)):
        found = follow_in(model, expr, function)
        return None if found is None else static_dims(model, found[0], found[1], d - FOLLOW)
    return None


def _int(model, expr, function, depth: int) -> int | None:
    """:func:`static_int`, and ``field.shape[0]`` (also through a name bound to it)."""
    n = static_int(model, expr, function, depth)
    if n is not None:
        return n
    for _ in range(3):
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) and \
                expr.value.attr.value == "shape":
            return shape_item(model, expr, function, depth - 1)
        if not isinstance(expr, cst.Name):
            return None
        found = follow_in(model, expr, function)
        if found is None:
            return _unpacked_int(model, expr, depth - 1)
        expr, function = found
    return None


def shape_item(model, expr: cst.Subscript, function, depth: int = DEPTH) -> int | None:
    """``field.shape[0]`` / ``field.shape[-1]`` when the shape is known statically."""
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    dims = static_dims(model, expr.value, function, depth)
    if dims is None:
        return None
    i = static_int(model, expr.slice[0].slice.value, function, depth)
    return dims[i] if i is not None and -len(dims) <= i < len(dims) else None


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


def static_shape(model: "SemanticModel", expr: cst.CSTNode | None,
                 function: "FunctionInfo | None" = None, depth: int = DEPTH) -> tuple[int, ...] | None:
    """The shape of one simulated value when it is known statically: ``()``
    for scalars (numbers, draws without ``size``), ``(k,)`` for ``size=k``,
    ``(H, W, C)`` for ``rng.normal(size=(H, W, C))`` / ``np.zeros((H, W, C))``,
    following local names, arithmetic, elementwise numpy functions,
    ``reshape``/``expand_dims``/``x[..., None]``. ``None`` when unknown."""
    if expr is None or depth <= 0:
        return None
    d = depth - 1
    if isinstance(expr, (cst.Integer, cst.Float)):
        return ()
    if isinstance(expr, (cst.Name, cst.Attribute)):
        if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
            return ()
        found = follow_in(model, expr, function)
        if found is None:
            return _unpacked_shape(model, expr, d - FOLLOW) if isinstance(expr, cst.Name) else None
        return static_shape(model, found[0], found[1], d - FOLLOW)
    if isinstance(expr, cst.UnaryOperation):
        return static_shape(model, expr.expression, function, d)
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.MatrixMultiply):
            return None
        if isinstance(expr.left, (cst.List, cst.Tuple)) or isinstance(expr.right, (cst.List, cst.Tuple)):
            return None  # sequence repetition / concatenation, not arithmetic
        a = static_shape(model, expr.left, function, d)
        b = static_shape(model, expr.right, function, d)
        return None if a is None or b is None else _broadcast(a, b)
    if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1 and not isinstance(
            expr.comparisons[0].operator, (cst.In, cst.NotIn, cst.Is, cst.IsNot)):
        a = static_shape(model, expr.left, function, d)
        b = None if a is None else static_shape(model, expr.comparisons[0].comparator, function, d)
        return None if a is None or b is None else _broadcast(a, b)  # an element-wise mask
    if isinstance(expr, cst.IfExp):
        a = static_shape(model, expr.body, function, d)
        b = static_shape(model, expr.orelse, function, d)
        return a if a is not None and a == b else None
    if isinstance(expr, (cst.List, cst.Tuple)):
        shapes = []
        for el in expr.elements:
            if not isinstance(el, cst.Element):
                return None
            s = static_shape(model, el.value, function, d)
            if s is None:
                return None
            shapes.append(s)
        if not shapes or any(s != shapes[0] for s in shapes):
            return None
        return (len(shapes),) + shapes[0]
    if isinstance(expr, cst.Subscript):
        return _subscript_shape(model, expr, function, d)
    if isinstance(expr, cst.Call):
        return _call_shape(model, expr, function, d)
    return None


def _subscript_shape(model, expr: cst.Subscript, function, depth):
    base = static_shape(model, expr.value, function, depth)
    if base is None:
        return None
    items: list = []
    for el in expr.slice:
        s = el.slice
        if isinstance(s, cst.Index):
            v = s.value
            if isinstance(v, cst.Ellipsis):
                items.append("...")
            elif (isinstance(v, cst.Name) and v.value == "None") or (
                isinstance(v, cst.Attribute) and v.attr.value == "newaxis"
            ):
                items.append("new")
            else:
                return None
        elif isinstance(s, cst.Slice) and s.lower is None and s.upper is None and s.step is None:
            items.append(":")
        elif isinstance(s, cst.Slice):  # ``x[:N_TRAIN]``, ``x[N:N + M]`` with static bounds
            bounds = [None if b is None else _int(model, b, function, depth)
                      for b in (s.lower, s.upper, s.step)]
            if any(b is None and e is not None for b, e in zip(bounds, (s.lower, s.upper, s.step))) \
                    or bounds[2] == 0:
                return None
            items.append(tuple(bounds))
        else:
            return None
    if items.count("...") > 1:
        return None
    real = [x for x in items if x not in ("...", "new")]
    if "..." in items:
        i = items.index("...")
        head, tail = items[:i], items[i + 1:]
        if len(real) > len(base):
            return None
        items = head + [":"] * (len(base) - len(real)) + tail
    out, k = [], 0
    for x in items:
        if x == "new":
            out.append(1)
        else:
            if k >= len(base):
                return None
            out.append(base[k] if x == ":" else len(range(base[k])[slice(*x)]))
            k += 1
    return tuple(out) + base[k:]


def _call_shape(model, expr: cst.Call, function, depth):
    event = model.call_event(expr)
    qualname = event.qualname if event is not None else None
    func = expr.func
    name = (qualname.rsplit(".", 1)[-1] if qualname
            else func.attr.value if isinstance(func, cst.Attribute)
            else func.value if isinstance(func, cst.Name) else None)
    if name is None:
        return None
    root = qualname.split(".")[0] if qualname else None
    is_method = qualname is None and isinstance(func, cst.Attribute)
    random_like = (qualname is not None and (qualname.startswith("numpy.random.")
                                              or root == "random")) or (
        is_method and event is not None and is_generator(event))
    if random_like:
        if name in nd.SIZE_POSITION:
            size_pos = nd.SIZE_POSITION[name]
            size = argument(expr, size_pos, "size")
            if size is not None:
                return _shape_arg(model, size, function, depth)
            # no size: the draw has the broadcast shape of its parameters
            shape: tuple[int, ...] | None = ()
            for i, a in enumerate(expr.args):
                if a.star or (a.keyword is None and i >= size_pos):
                    return None
                if name in ("choice", "integers", "randint") and a.keyword is None and i == 0:
                    continue  # the population / bounds, not a shape
                s = static_shape(model, a.value, function, depth)
                shape = None if s is None or shape is None else _broadcast(shape, s)
                if shape is None:
                    return None
            return shape
        if name in nd.SCALAR_STDLIB_DRAWS and root == "random":
            return ()
        if name in ("rand", "randn") and qualname is not None:
            dims = [static_int(model, a.value, function, depth) for a in expr.args]
            if any(a.keyword is not None or a.star for a in expr.args) or None in dims:
                return None
            return tuple(dims)
        if name in nd.EVENT_DRAWS:
            size_pos, event_pos = nd.EVENT_DRAWS[name]
            event_arg = argument(expr, event_pos, None)
            ev = static_shape(model, event_arg, function, depth) if event_arg is not None else None
            if ev is None or len(ev) != 1:
                return None
            size = argument(expr, size_pos, "size")
            batch = () if size is None else _shape_arg(model, size, function, depth)
            return None if batch is None else batch + ev
    if name == "rvs" and (root == "scipy" or is_method):
        size = argument(expr, -1, "size")
        if size is not None:
            return _shape_arg(model, size, function, depth)
        return () if all(a.keyword is not None for a in expr.args) else None
    if root == "numpy" or (qualname is not None and qualname.startswith("scipy.special.")):
        if name in nd.SHAPE_FROM_ARG0:
            first = argument(expr, 0, "shape")
            return None if first is None else _shape_arg(model, first, function, depth)
        if name in nd.SHAPE_LIKE or name in nd.ELEMENTWISE_UNARY:
            first = argument(expr, 0, None)
            return None if first is None else static_shape(model, first, function, depth)
        if name in nd.ELEMENTWISE_BINARY:
            left, right = argument(expr, 0, None), argument(expr, 1, None)
            if left is None or right is None or len(expr.args) != 2:
                return None
            sa = static_shape(model, left, function, depth)
            sb = static_shape(model, right, function, depth)
            return None if sa is None or sb is None else _broadcast(sa, sb)
        if name == "where":
            return None
        if name in ("stack", "concatenate"):
            return _join_shape(model, expr, name, function, depth)
        if name == "expand_dims":
            base = static_shape(model, argument(expr, 0, "a"), function, depth)
            axis = _axis(model, argument(expr, 1, "axis"), function)
            return _expand(base, axis)
        if name == "reshape":
            base = static_shape(model, argument(expr, 0, "a"), function, depth)
            shape = _shape_arg(model, argument(expr, 1, "newshape") or argument(expr, 1, "shape"),
                               function, depth)
            return _reshape(base, shape)
        if name == "linspace":
            num = argument(expr, 2, "num")
            n = 50 if num is None else static_int(model, num, function, depth)
            return None if n is None else (n,)
        if name == "arange" and len(expr.args) == 1 and expr.args[0].keyword is None:
            n = static_int(model, expr.args[0].value, function, depth)
            return None if n is None else (n,)
        return None
    if qualname is not None and qualname.startswith("scipy.ndimage.") and name.endswith("_filter"):
        return static_shape(model, argument(expr, 0, "input"), function, depth)
    if qualname is None and isinstance(func, cst.Name) and event is not None and event.local is None:
        if name in ("float", "int", "round") and len(expr.args) == 1:
            return ()
        if name == "abs" and len(expr.args) == 1:
            return static_shape(model, expr.args[0].value, function, depth)
        return None
    if is_method and isinstance(func, cst.Attribute) and name in (
            "reshape", "flatten", "ravel", "astype", "copy", "squeeze"):
        base = static_shape(model, func.value, function, depth)
        if base is None:
            return None
        if name in ("astype", "copy"):
            return base
        if name in ("flatten", "ravel"):
            n = 1
            for x in base:
                n *= x
            return (n,)
        if name == "squeeze":
            return tuple(x for x in base if x != 1) if not expr.args else None
        args = [a for a in expr.args if a.keyword is None and not a.star]
        if len(args) == 1:
            shape = _shape_arg(model, args[0].value, function, depth)
        else:
            dims = [static_int(model, a.value, function, depth) for a in args]
            shape = None if not dims or None in dims else tuple(dims)  # type: ignore[arg-type]
        return _reshape(base, shape)
    return None


def _join_shape(model, expr: cst.Call, name: str, function, depth):
    """``np.stack([a, b], axis=-1)`` / ``np.concatenate([a[..., None], b[..., None]], axis=-1)``
    of arrays whose shapes are known."""
    first = argument(expr, 0, "arrays")
    if not isinstance(first, (cst.List, cst.Tuple)) or not first.elements or any(
            not isinstance(el, cst.Element) for el in first.elements):
        return None
    shapes: list[tuple[int, ...]] = []
    for el in first.elements:
        sh = static_shape(model, el.value, function, depth)
        if sh is None:
            return None
        shapes.append(sh)
    axis_arg = argument(expr, 1, "axis")
    axis = 0 if axis_arg is None else _axis(model, axis_arg, function)
    if axis is None:
        return None
    base = shapes[0]
    if name == "stack":
        if any(sh != base for sh in shapes):
            return None
        n = len(base) + 1
        axis = axis + n if axis < 0 else axis
        return base[:axis] + (len(shapes),) + base[axis:] if 0 <= axis < n else None
    n = len(base)
    axis = axis + n if axis < 0 else axis
    if not 0 <= axis < n or any(len(sh) != n or sh[:axis] + sh[axis + 1:] !=
                                base[:axis] + base[axis + 1:] for sh in shapes):
        return None
    return base[:axis] + (sum(sh[axis] for sh in shapes),) + base[axis + 1:]


def _unpacked_arrays(model) -> dict[int, tuple[cst.BaseExpression, object, int, object]]:
    """Target name (by id) -> (value, position, number of targets, function) for an
    unpacking of something other than a literal tuple: ``X, Y = np.meshgrid(x, y)``,
    ``h, w = img.shape[:2]``, ``a, b = rng.normal(size=(2, 32, 32))``."""
    out: dict[int, tuple[cst.BaseExpression, object, int, object]] = {}
    for rec in model.assignments:
        if isinstance(rec.value, (cst.Tuple, cst.List)):
            continue
        for target in rec.targets:
            if not isinstance(target, (cst.Tuple, cst.List)) or any(
                    isinstance(el, cst.StarredElement) for el in target.elements):
                continue
            n = len(target.elements)
            for i, el in enumerate(target.elements):
                if isinstance(el.value, cst.Name):
                    out[id(el.value)] = (rec.value, i, n, rec.function)
                elif isinstance(el.value, (cst.Tuple, cst.List)):
                    # ``(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()``
                    for j, inner in enumerate(el.value.elements):
                        if isinstance(inner, cst.Element) and isinstance(inner.value, cst.Name):
                            out[id(inner.value)] = (rec.value, (i, j), n, rec.function)
    return out


def _unpacked_target(model, expr: cst.Name):
    obj = model.value(expr)
    if obj is None or obj.kind != "opaque" or not isinstance(obj.node, cst.Name) or \
            obj.node.value != expr.value or model.alternatives(obj):
        return None
    return model.analysis(_unpacked_arrays).get(id(obj.node))


def _unpacked_shape(model, expr: cst.Name, depth):
    found = _unpacked_target(model, expr)
    if found is None or depth <= 0:
        return None
    value, i, n, function = found
    if isinstance(value, cst.Call):
        event = model.call_event(value)
        if event is not None and event.qualname == "numpy.meshgrid" and isinstance(i, int):
            return _meshgrid(model, value, n, function, depth - 1)
        dataset = _dataset(event)
        if dataset is not None and isinstance(i, tuple) and n == 2:
            return dataset[i[0]][i[1]]
        if dataset is not None:
            return None
    if not isinstance(i, int):
        return None
    if _int_dims(model, value, function, depth - 1) is not None:
        return ()  # ``h, w = img.shape``: numbers
    whole = static_shape(model, value, function, depth - 1)
    # iterating an array walks its first axis
    return whole[1:] if whole and whole[0] == n else None


def _unpacked_int(model, expr: cst.Name, depth) -> int | None:
    found = _unpacked_target(model, expr)
    if found is None or depth <= 0:
        return None
    value, i, n, function = found
    if not isinstance(i, int):
        return None
    dims = _int_dims(model, value, function, depth - 1)
    return dims[i] if dims is not None and len(dims) == n else None


def _int_dims(model, value, function, depth):
    """The integers of a shape-like value (``img.shape``, ``SHAPE[:2]``), not of an array."""
    if isinstance(value, cst.Attribute) and value.attr.value == "shape" or (
            isinstance(value, cst.Subscript) and isinstance(value.value, cst.Attribute)
            and value.value.attr.value == "shape"):
        return static_dims(model, value, function, depth)
    return None


# ``keras.datasets.<name>.load_data()``: ((x_train, y_train), (x_test, y_test)) shapes
_DATASETS = {
    "mnist": (((60000, 28, 28), (60000,)), ((10000, 28, 28), (10000,))),
    "fashion_mnist": (((60000, 28, 28), (60000,)), ((10000, 28, 28), (10000,))),
    "cifar10": (((50000, 32, 32, 3), (50000, 1)), ((10000, 32, 32, 3), (10000, 1))),
    "cifar100": (((50000, 32, 32, 3), (50000, 1)), ((10000, 32, 32, 3), (10000, 1))),
}


def _dataset(event):
    """The shapes a keras image dataset's ``load_data()`` returns (default arguments)."""
    q = event.qualname if event is not None else None
    if not q or not q.endswith(".load_data") or event.node.args:
        return None
    parts = q.split(".")
    if len(parts) < 4 or parts[-3] != "datasets" or parts[0] not in ("keras", "tensorflow"):
        return None
    return _DATASETS.get(parts[-2])


def training_data_shapes(model, wf) -> dict[str, tuple[int, ...]]:
    """key -> the shape of one simulation in the offline training data the workflow is
    fit on (``fit_offline(data={"field": x_train, ...})``, the dict literal or a name bound
    to one; the first axis is the batch). Keys whose calls disagree are left out."""
    out: dict[str, tuple[int, ...] | None] = {}
    for ev in model.calls:
        if ev.bf != "fit_offline" or ev.receiver is not wf:
            continue
        data = ev.argument(0, "data")
        for _ in range(3):
            if not isinstance(data, cst.Name):
                break
            found = follow_in(model, data, ev.function)
            data = found[0] if found is not None else None
        if not isinstance(data, cst.Dict):
            continue
        for el in data.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
                continue
            key = el.key.evaluated_value
            shape = static_shape(model, el.value, ev.function)
            one = shape[1:] if shape else None
            if not isinstance(key, str):
                continue
            if key in out and out[key] != one:
                out[key] = None
            else:
                out[key] = one
    return {k: v for k, v in out.items() if v is not None}


def _meshgrid(model, call: cst.Call, n: int, function, depth):
    """``np.meshgrid(x, y)`` of 1-D grids: every output has shape ``(len(y), len(x))``
    (``indexing="xy"``, the default) or ``(len(x), len(y))`` (``"ij"``)."""
    indexing = "xy"
    lengths = []
    for a in call.args:
        if a.star:
            return None
        if a.keyword is not None:
            if a.keyword.value == "indexing" and isinstance(a.value, cst.SimpleString):
                indexing = a.value.evaluated_value  # type: ignore[assignment]
                continue
            return None  # sparse=, copy=: other shapes
        sh = static_shape(model, a.value, function, depth)
        if sh is None or len(sh) != 1:
            return None
        lengths.append(sh[0])
    if len(lengths) != n or n < 2 or indexing not in ("xy", "ij"):
        return None
    if indexing == "xy":
        lengths[0], lengths[1] = lengths[1], lengths[0]
    return tuple(lengths)


def _axis(model, expr, function) -> int | None:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        n = static_int(model, expr.expression, function)
        return None if n is None else -n
    return static_int(model, expr, function)


def _expand(base, axis):
    if base is None or axis is None:
        return None
    n = len(base) + 1
    if axis < 0:
        axis += n
    if not 0 <= axis < n:
        return None
    return base[:axis] + (1,) + base[axis:]


def _reshape(base, shape):
    if base is None or shape is None or any(x < 0 for x in shape):
        return None
    a = b = 1
    for x in base:
        a *= x
    for x in shape:
        b *= x
    return shape if a == b else None


def shape_size(shape: tuple[int, ...] | None) -> int | None:
    """Number of elements of a static shape (1 for scalars)."""
    if shape is None:
        return None
    n = 1
    for x in shape:
        n *= x
    return n


def is_image_shape(shape: tuple[int, ...] | None) -> bool:
    """H x W x C with a spatial grid of at least 8 x 8 and 1-4 channels."""
    return (
        shape is not None and len(shape) == 3 and min(shape[0], shape[1]) >= 8
        and 1 <= shape[2] <= 4
    )


def image_targets(model, wf) -> list[tuple[str, tuple[int, ...]]]:
    """(key, shape) of the image-valued simulator outputs the workflow routes into
    ``inference_variables`` (shapes known statically, through names and constants)."""
    routes = wf.routes()
    if not routes:
        return []
    outputs = wf.simulator_outputs()
    if not outputs:
        return _offline_image_targets(model, wf, routes)
    if not routes["inference_variables"]:
        return []
    found: dict[str, tuple[int, ...]] = {}
    for key, _ in routes["inference_variables"]:
        if key in found or key not in outputs:
            continue
        function, expr = outputs[key]
        shape = static_shape(model, expr, function)
        if shape is not None and is_image_shape(shape):
            found[key] = shape
    return list(found.items())


def _offline_image_targets(model, wf, routes) -> list[tuple[str, tuple[int, ...]]]:
    """Image targets of a workflow trained offline: the routed keys of its training data
    (or the data's own ``"inference_variables"`` when the adapter routes nothing there)."""
    if wf.simulator is not None:
        return []  # a simulator the model cannot read: its outputs are unknown
    shapes = training_data_shapes(model, wf)
    keys = [k for k, _ in routes["inference_variables"]] or ["inference_variables"]
    return [(k, shapes[k]) for k in dict.fromkeys(keys) if is_image_shape(shapes.get(k))]
