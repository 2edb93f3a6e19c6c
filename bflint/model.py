"""The per-file semantic model shared by every rule.

One recursive walk over the LibCST tree (no metadata providers, no node
re-construction) resolves imports through an alias table, follows bindings
(``wf = bf.BasicWorkflow(...)``, ``self.wf``, ``workflows["a"]``), builds each
adapter's ordered transforms, records the functions passed to
``bf.make_simulator`` and classifies every call in source order.

Rules never resolve names themselves: they ask the model what an expression
*is* (:meth:`SemanticModel.value`, :meth:`SemanticModel.qualname`) and read the
objects it built (:attr:`SemanticModel.workflows`, :attr:`SemanticModel.calls`...).
When a binding is ambiguous the model answers ``None`` and rules stay silent.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from typing import Iterable, Iterator

import libcst as cst

BAYESFLOW = "bayesflow"

# Names that BayesFlow re-exports at top level: a deep import path is
# normalised to ``bayesflow.<Name>`` so rules compare one spelling.
TOP_LEVEL_NAMES = frozenset(
    {
        "Adapter",
        "BasicWorkflow",
        "BasicEstimator",
        "Estimator",
        "CompositionalWorkflow",
        "EnsembleWorkflow",
        "ModelComparisonWorkflow",
        "OfflineDataset",
        "OnlineDataset",
        "DiskDataset",
        "EnsembleDataset",
        "make_simulator",
        "ContinuousApproximator",
        "ContinuousEstimator",
        "PointApproximator",
        "PointEstimator",
        "ScoringRuleEstimator",
        "ModelComparisonApproximator",
        "ModelComparisonEstimator",
        "ApproximatorEnsemble",
        "EstimatorEnsemble",
        "Approximator",
        "Workflow",
    }
)
NETWORK_SUBMODULE = "networks"

ESTIMATOR_NAMES = frozenset(
    {
        "BasicEstimator",
        "Estimator",
        "ContinuousApproximator",
        "ContinuousEstimator",
        "PointApproximator",
        "PointEstimator",
        "ScoringRuleEstimator",
        "Approximator",
        "ModelComparisonApproximator",
        "ModelComparisonEstimator",
    }
)

# Adapter methods that return the adapter itself (chainable, mutate in place).
ADAPTER_CHAIN_METHODS = frozenset(
    {
        "as_set",
        "as_time_series",
        "broadcast",
        "concatenate",
        "constrain",
        "convert_dtype",
        "drop",
        "keep",
        "rename",
        "expand_dims",
        "squeeze",
        "log",
        "sqrt",
        "scale",
        "shift",
        "standardize",
        "one_hot",
        "nan_to_num",
        "split",
        "group",
        "ungroup",
        "take",
        "to_array",
        "to_dict",
        "random_subsample",
        "as_simplex",
        "as_covariance_matrix",
        "as_correlation_matrix",
        "apply",
        "apply_serializable",
        "map_dtype",
        "append",
        "insert",
        "extend",
        "add_transform",
    }
)

# Workflow methods whose names are BayesFlow's own: a call of one of these on
# an object of unknown origin (imported from a project module, a parameter) is
# still a BayesFlow call.
UNIQUE_WORKFLOW_METHODS = frozenset(
    {"fit_offline", "fit_disk", "compute_default_diagnostics", "plot_default_diagnostics"}
)
FIT_METHODS = frozenset({"fit_offline", "fit_online", "fit_disk"})
WORKFLOW_POSITIONAL = ("simulator", "adapter", "inference_network", "summary_network")
SLOTS = ("inference_variables", "summary_variables", "inference_conditions")


def canonical(qualname: str) -> str:
    """Normalise a resolved dotted name (``bayesflow.workflows.BasicWorkflow``
    -> ``bayesflow.BasicWorkflow``; ``bayesflow.networks.x.SetTransformer`` ->
    ``bayesflow.networks.SetTransformer``)."""
    if not qualname.startswith("bayesflow."):
        return qualname
    parts = qualname.split(".")
    if len(parts) >= 3:
        name = parts[-1]
        if parts[1] == NETWORK_SUBMODULE and name[:1].isupper():
            return "bayesflow.networks." + name
        if name in TOP_LEVEL_NAMES:
            return "bayesflow." + name
    return qualname


# --------------------------------------------------------------------------
# Objects the model knows about
# --------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class Obj:
    """A value the model could identify. ``kind`` is one of: ``import``
    (a module or name reached through an import; see ``qualname``),
    ``function`` (a function defined in this file), ``param`` (a function
    parameter), ``literal``, ``workflow``, ``adapter``, ``simulator``,
    ``network``, ``estimator``, ``history``, ``history_dict``, ``sims``,
    ``samples``, ``diagnostics``, ``figures``, ``foreign`` (the result of
    calling something imported from another library), ``bf`` (another
    BayesFlow object), ``opaque``."""

    kind: str
    node: cst.CSTNode | None = None
    qualname: str | None = None
    parent: "Obj | None" = None

    @property
    def is_bayesflow(self) -> bool:
        return bool(self.qualname) and (
            self.qualname == BAYESFLOW or self.qualname.startswith("bayesflow.")
        )


@dataclasses.dataclass(eq=False)
class HistoryUse:
    """The history (or ``history.history``) was passed to a call.
    ``callee`` is the callee's resolved name (``json.dump``), a method name
    (``to_csv``) or a local function's name; ``arg`` the position (int) or
    keyword (str) it was passed as. ``whole``: the History object itself (or
    a parameter that may be either) was passed, not ``history.history`` or
    data derived from it."""

    callee: str
    arg: int | str
    node: cst.Call
    whole: bool = False


@dataclasses.dataclass(eq=False)
class HistoryObj(Obj):
    uses: list[HistoryUse] = dataclasses.field(default_factory=list)

    def used_as(self, callees: Iterable[str], arg: int | str | None = None) -> bool:
        names = set(callees)
        for use in self.uses:
            if (use.callee in names or use.callee.rsplit(".", 1)[-1] in names) and (
                arg is None or use.arg == arg
            ):
                return True
        return False


@dataclasses.dataclass(eq=False)
class Transform:
    """One adapter method call: ``adapter.constrain("sigma", lower=0)``."""

    method: str
    node: cst.Call
    args: list[cst.Arg]

    def positional(self, index: int) -> cst.BaseExpression | None:
        pos = [a for a in self.args if a.keyword is None and not a.star]
        return pos[index].value if index < len(pos) else None

    def keyword(self, name: str) -> cst.BaseExpression | None:
        for a in self.args:
            if a.keyword is not None and a.keyword.value == name:
                return a.value
        return None

    def argument(self, index: int, name: str) -> cst.BaseExpression | None:
        kw = self.keyword(name)
        return kw if kw is not None else self.positional(index)


@dataclasses.dataclass(eq=False)
class AdapterObj(Obj):
    transforms: list[Transform] = dataclasses.field(default_factory=list)
    # False when part of the adapter is out of the model's sight (built from
    # an unknown base, passed to an unknown function, keys not literal...).
    complete: bool = True
    model: "SemanticModel | None" = None

    def calls(self, *methods: str) -> list[Transform]:
        return [t for t in self.transforms if t.method in methods]

    def _keys(self, expr: cst.BaseExpression | None) -> list[str] | None:
        if expr is None or self.model is None:
            return None
        return self.model.strings(expr)

    def routes(self) -> dict[str, list[tuple[str, Transform]]] | None:
        """Slot -> [(original simulator key, routing transform)], following
        renames backwards. ``None`` when the adapter is not fully known."""
        if not self.complete:
            return None
        origin: dict[str, set[str]] = {}  # current key -> original keys

        def originals(key: str) -> set[str]:
            return origin.get(key, {key})

        out: dict[str, list[tuple[str, Transform]]] = {s: [] for s in SLOTS}
        for t in self.transforms:
            if t.method == "concatenate":
                keys = self._keys(t.argument(0, "keys"))
                into = self._keys(t.argument(1, "into"))
                if keys is None or into is None or len(into) != 1:
                    return None
                merged: set[str] = set()
                for k in keys:
                    merged |= originals(k)
                origin[into[0]] = merged
                if into[0] in out:
                    out[into[0]].extend((k, t) for k in sorted(merged))
            elif t.method == "rename":
                src = self._keys(t.argument(0, "from_key"))
                dst = self._keys(t.argument(1, "to_key"))
                if src is None or dst is None or len(src) != 1 or len(dst) != 1:
                    return None
                origin[dst[0]] = originals(src[0])
                if dst[0] in out:
                    out[dst[0]].extend((k, t) for k in sorted(originals(src[0])))
            elif t.method in ("apply", "apply_serializable", "add_transform", "append",
                              "insert", "extend", "group", "ungroup", "split", "to_dict"):
                return None
        return out

    def keys_of(self, *methods: str) -> set[str] | None:
        """Original keys passed to the given transforms (``as_set`` ...),
        renames followed backwards; ``None`` when not statically known."""
        if not self.complete:
            return None
        origin: dict[str, set[str]] = {}
        found: set[str] = set()
        for t in self.transforms:
            if t.method == "rename":
                src = self._keys(t.argument(0, "from_key"))
                dst = self._keys(t.argument(1, "to_key"))
                if src and dst and len(src) == 1 and len(dst) == 1:
                    origin[dst[0]] = origin.get(src[0], {src[0]})
                continue
            if t.method == "concatenate":
                keys = self._keys(t.argument(0, "keys")) or []
                into = self._keys(t.argument(1, "into"))
                if into and len(into) == 1:
                    merged: set[str] = set()
                    for k in keys:
                        merged |= origin.get(k, {k})
                    origin[into[0]] = merged
            if t.method in methods:
                first = t.args[0].value if t.args else None
                if first is None or (t.args[0].keyword is not None and
                                     t.args[0].keyword.value not in ("keys", "include")):
                    first = t.keyword("keys") or t.keyword("include")
                keys = self._keys(first)
                if keys is None:
                    return None
                for k in keys:
                    found |= origin.get(k, {k})
        return found


@dataclasses.dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef
    name: str
    params: list[str]
    # name -> last expression assigned to it in the body
    assigns: dict[str, cst.BaseExpression] = dataclasses.field(default_factory=dict)
    returns: list[tuple[cst.BaseExpression | None, Obj | None]] = dataclasses.field(
        default_factory=list
    )
    # param name -> history uses made of that parameter inside the function
    param_effects: dict[str, list[HistoryUse]] = dataclasses.field(
        default_factory=lambda: defaultdict(list)
    )
    parent: "FunctionInfo | None" = None
    is_method: bool = False

    def return_obj(self) -> Obj | None:
        objs = {id(o): o for _, o in self.returns if o is not None}
        return next(iter(objs.values())) if len(objs) == 1 else None

    def returned_dicts(self) -> list[dict[str, cst.BaseExpression]]:
        """Literal dicts returned (``return {"theta": theta}`` or
        ``return dict(theta=theta)``), keys -> value expressions."""
        out = []
        for expr, _ in self.returns:
            d = literal_dict(expr)
            if d is not None:
                out.append(d)
        return out

    def resolve_local(self, expr: cst.BaseExpression, depth: int = 4) -> cst.BaseExpression:
        """Follow a local name to the expression last assigned to it."""
        while depth and isinstance(expr, cst.Name) and expr.value in self.assigns:
            expr = self.assigns[expr.value]
            depth -= 1
        return expr


@dataclasses.dataclass(eq=False)
class FunctionObj(Obj):
    info: FunctionInfo | None = None


@dataclasses.dataclass(eq=False)
class ParamObj(Obj):
    function: FunctionInfo | None = None
    name: str = ""


@dataclasses.dataclass(eq=False)
class SimulatorObj(Obj):
    functions: list[FunctionInfo | None] = dataclasses.field(default_factory=list)

    def outputs(self) -> dict[str, tuple[FunctionInfo, cst.BaseExpression]] | None:
        """Key -> (function, draw expression) over all simulator functions,
        local names followed to their assignment. ``None`` when a function
        is unknown or returns something other than literal dicts."""
        if not self.functions or any(f is None for f in self.functions):
            return None
        out: dict[str, tuple[FunctionInfo, cst.BaseExpression]] = {}
        for f in self.functions:
            assert f is not None
            dicts = f.returned_dicts()
            if not dicts or len(dicts) != len(f.returns):
                return None
            for d in dicts:
                for key, expr in d.items():
                    out[key] = (f, f.resolve_local(expr))
        return out


@dataclasses.dataclass(eq=False)
class WorkflowObj(Obj):
    args: dict[str, cst.Arg] = dataclasses.field(default_factory=dict)
    adapter: Obj | None = None
    simulator: Obj | None = None
    model: "SemanticModel | None" = None

    def arg(self, name: str) -> cst.Arg | None:
        return self.args.get(name)

    def has(self, name: str) -> bool:
        return name in self.args

    @property
    def adapter_given(self) -> bool:
        """``adapter=`` passed with something other than a literal ``None``."""
        arg = self.args.get("adapter")
        return arg is not None and not (
            isinstance(arg.value, cst.Name) and arg.value.value == "None"
        )

    def shorthand(self) -> dict[str, cst.Arg]:
        return {s: self.args[s] for s in SLOTS if s in self.args}

    @property
    def explicit_adapter(self) -> AdapterObj | None:
        return self.adapter if isinstance(self.adapter, AdapterObj) else None

    def routes(self) -> dict[str, list[tuple[str, cst.CSTNode]]] | None:
        """Slot -> [(simulator key, node routing it)] whatever the spelling
        (explicit adapter or shorthand). ``None`` when unknown."""
        assert self.model is not None
        if self.adapter_given:
            adapter = self.explicit_adapter
            if adapter is None:
                return None
            routes = adapter.routes()
            if routes is None:
                return None
            return {s: [(k, t.node) for k, t in v] for s, v in routes.items()}
        out: dict[str, list[tuple[str, cst.CSTNode]]] = {s: [] for s in SLOTS}
        for slot, arg in self.shorthand().items():
            keys = self.model.strings(arg.value)
            if keys is None:
                return None
            out[slot] = [(k, arg) for k in keys]
        return out


# --------------------------------------------------------------------------
# Call events
# --------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class CallEvent:
    """Every call of the file, in source order.

    ``qualname``: the callee resolved through imports (``bayesflow.BasicWorkflow``,
    ``json.dump``), or ``None``. ``method``: the attribute name for
    ``x.method(...)`` calls. ``receiver``: what ``x`` is. ``bf``: a BayesFlow
    method kind (``fit_offline``, ``simulate``, ``sample``, ``estimator_fit``,
    ``compute_default_diagnostics``, ...) when the model recognised a BayesFlow
    call. ``loops``: enclosing ``for``/``while``/comprehension nodes (innermost
    last) within the current function. ``function``: the enclosing function."""

    node: cst.Call
    index: int
    qualname: str | None
    method: str | None
    receiver: Obj | None
    result: Obj | None
    bf: str | None
    loops: tuple[cst.CSTNode, ...]
    function: FunctionInfo | None
    local: FunctionInfo | None = None  # callee when it is a function of this file

    def kwarg(self, name: str) -> cst.Arg | None:
        for a in self.node.args:
            if a.keyword is not None and a.keyword.value == name:
                return a
        return None

    def keywords(self) -> set[str]:
        return {a.keyword.value for a in self.node.args if a.keyword is not None}

    def positional(self) -> list[cst.Arg]:
        return [a for a in self.node.args if a.keyword is None and not a.star]

    def has_star_kwargs(self) -> bool:
        return any(a.star == "**" for a in self.node.args)

    def argument(self, index: int, name: str) -> cst.BaseExpression | None:
        kw = self.kwarg(name)
        if kw is not None:
            return kw.value
        pos = self.positional()
        return pos[index].value if index < len(pos) else None

    @property
    def callee_name(self) -> str | None:
        """Last component of the callee: resolved name, method or bare name."""
        if self.qualname:
            return self.qualname.rsplit(".", 1)[-1]
        if self.method:
            return self.method
        if isinstance(self.node.func, cst.Name):
            return self.node.func.value
        return None


@dataclasses.dataclass(eq=False)
class ImportRecord:
    node: cst.CSTNode  # the Import / ImportFrom statement
    alias: cst.ImportAlias | None
    local: str | None
    qualname: str
    index: int
    function: FunctionInfo | None
    type_checking: bool = False  # under ``if TYPE_CHECKING:``: never executed


@dataclasses.dataclass(eq=False)
class AssignRecord:
    targets: list[cst.BaseExpression]
    value: cst.BaseExpression
    index: int
    function: FunctionInfo | None


# --------------------------------------------------------------------------
# Helpers on literal expressions
# --------------------------------------------------------------------------


def string_value(expr: cst.CSTNode | None) -> str | None:
    if isinstance(expr, cst.SimpleString):
        try:
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
        "semicolon",
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


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Code-bearing children of ``node`` without LibCST's re-construction."""
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Pre-order walk of code-bearing nodes (iterative, no recursion limit)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        children = list(iter_children(n))
        children.reverse()
        stack.extend(children)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


class _Scope:
    __slots__ = ("vars", "parent", "function", "class_scope", "self_name", "compound")

    def __init__(self, parent, function=None, class_scope=None, self_name=None):
        self.vars: dict[str, Obj | None] = {}
        self.compound: set[str] = set()  # bound keys such as ``a.b`` / ``a['k']``
        self.parent = parent
        self.function = function
        self.class_scope = class_scope
        self.self_name = self_name

    def lookup(self, key: str):
        if self.self_name and key.startswith(self.self_name + ".") and self.class_scope:
            found = self.class_scope.vars.get("self" + key[len(self.self_name):], _MISSING)
            if found is not _MISSING:
                return found
        scope = self
        while scope is not None:
            found = scope.vars.get(key, _MISSING)
            if found is not _MISSING:
                return found
            scope = scope.parent
        return _MISSING

    def bind(self, key: str, value: Obj | None) -> None:
        if self.self_name and key.startswith(self.self_name + ".") and self.class_scope:
            self.class_scope.vars["self" + key[len(self.self_name):]] = value
            return
        self.vars[key] = value
        if "." in key or "[" in key:
            self.compound.add(key)
        if self.compound:
            # re-binding a name forgets what was known about its attributes/items
            prefix_dot, prefix_item = key + ".", key + "["
            stale = [k for k in self.compound if k.startswith((prefix_dot, prefix_item))]
            for k in stale:
                self.compound.discard(k)
                self.vars.pop(k, None)


_MISSING = object()
_HISTORY_LIKE = ("history", "history_dict")


# Values that are BayesFlow data (what ``SemanticModel.origins`` looks for)
# and values that carry none.
DATA_KINDS = frozenset({"sims", "samples", "diagnostics", "figures", "history", "history_dict"})
_LITERAL_LEAVES = (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)
_LITERAL_CONTAINERS = (cst.Dict, cst.List, cst.Tuple, cst.Set)
_LITERAL_PARTS = (cst.DictElement, cst.Element, cst.UnaryOperation, cst.Name,
                  cst.ConcatenatedString)
_NO_DATA_KINDS = frozenset(
    {"import", "function", "workflow", "adapter", "simulator", "network", "estimator", "bf"}
)
_RANDOM_MODULES = ("numpy.random.", "random.", "jax.random.", "keras.random.",
                   "tensorflow.random.", "torch.distributions.")
_RNG_MAKERS = ("numpy.random.default_rng()", "numpy.random.RandomState()",
               "numpy.random.Generator()", "random.Random()")
_NOT_DRAWS = frozenset({
    "choice", "permutation", "permuted", "shuffle", "integers", "randint", "random_integers",
    "seed", "default_rng", "RandomState", "Generator", "SeedSequence", "PRNGKey", "key", "split",
    "get_state", "set_state", "bytes", "spawn", "fold_in", "SeedGenerator", "Random", "getstate",
    "setstate", "sample", "choices", "randrange", "getrandbits", "manual_seed", "set_seed",
})
_DRAW_METHODS = frozenset({
    "normal", "lognormal", "poisson", "binomial", "negative_binomial", "gamma", "beta",
    "exponential", "uniform", "standard_t", "multivariate_normal", "multinomial", "dirichlet",
    "laplace", "logistic", "gumbel", "weibull", "pareto", "geometric", "hypergeometric",
    "chisquare", "f", "vonmises", "wald", "rayleigh", "triangular", "zipf", "standard_cauchy",
    "standard_gamma", "standard_exponential", "noncentral_chisquare", "noncentral_f", "power",
    "logseries", "multivariate_hypergeometric", "bernoulli", "cauchy", "gauss",
})


@dataclasses.dataclass(eq=False)
class Origin:
    """A BayesFlow data value an expression derives from (``obj``), the
    expression where it was reached (``node``) and the literal key first taken
    from it (``test_data["mu"]`` -> ``"mu"``) or ``None``."""

    obj: Obj
    node: cst.CSTNode
    key: str | None


class Origins(list):
    """The result of ``SemanticModel.origins``; ``complete`` is False when the
    walk hit its limit (then absent origins prove nothing)."""

    complete: bool = True


class SemanticModel:
    """What one file's code means, as far as bflint needs it."""

    def __init__(self, module: cst.Module, source: str, filename: str = "<string>"):
        self.module = module
        self.source = source
        self.filename = filename
        self.lines = source.splitlines()
        self.imports: list[ImportRecord] = []
        self.assignments: list[AssignRecord] = []
        # ``x += ...`` and friends (target, value, index); not in ``assignments``
        self.aug_assignments: list[AssignRecord] = []
        self.calls: list[CallEvent] = []
        self.functions: list[FunctionInfo] = []
        self.workflows: list[WorkflowObj] = []
        self.adapters: list[AdapterObj] = []
        self.simulators: list[SimulatorObj] = []
        self.histories: list[HistoryObj] = []
        self.networks: list[Obj] = []
        self.star_imports: list[str] = []
        self._values: dict[cst.CSTNode, Obj] = {}
        self._call_events: dict[cst.Call, CallEvent] = {}
        self._index: dict[type, list[cst.CSTNode]] = defaultdict(list)
        # unidentified values -> the expression they were computed from
        # (loop / comprehension targets: the iterable; ``a, b = rhs``: rhs)
        self._sources: dict[Obj, cst.CSTNode] = {}
        # container Obj -> values stored into it by item assignment (``out[k] = v``)
        self._item_stores: dict[Obj, list[cst.CSTNode]] = {}
        _Builder(self).build()

    # -- queries -----------------------------------------------------------
    @property
    def uses_bayesflow(self) -> bool:
        return any(r.qualname.split(".")[0] == BAYESFLOW for r in self.imports) or any(
            s.split(".")[0] == BAYESFLOW for s in self.star_imports
        )

    def value(self, node: cst.CSTNode | None) -> Obj | None:
        """What an evaluated expression is, or ``None`` when unknown."""
        return None if node is None else self._values.get(node)

    def qualname(self, node: cst.CSTNode | None) -> str | None:
        """The import-resolved dotted name of a Name/Attribute (or of a
        Call's callee), canonicalised; ``None`` when it does not come from an
        import."""
        if isinstance(node, cst.Call):
            node = node.func
        obj = self.value(node)
        if obj is not None and obj.kind == "import":
            return obj.qualname
        return None

    def is_bayesflow(self, node: cst.CSTNode | None, *names: str) -> bool:
        """``node`` resolves to ``bayesflow.<name>`` for one of ``names``
        (any BayesFlow name when none given)."""
        q = self.qualname(node)
        if q is None or not (q == BAYESFLOW or q.startswith("bayesflow.")):
            return False
        return not names or any(q == "bayesflow." + n for n in names)

    def call_event(self, node: cst.Call) -> CallEvent | None:
        return self._call_events.get(node)

    def bf_calls(self, *kinds: str) -> list[CallEvent]:
        return [c for c in self.calls if c.bf is not None and (not kinds or c.bf in kinds)]

    def calls_to(self, *qualnames: str) -> list[CallEvent]:
        names = set(qualnames)
        return [c for c in self.calls if c.qualname in names]

    def nodes(self, node_type: type) -> list:
        """Every evaluated node of that type, in source order."""
        return self._index.get(node_type, [])

    def literal_node(self, expr: cst.CSTNode | None) -> cst.CSTNode | None:
        """The literal behind ``expr``: itself, or the literal a name (or
        attribute / item) is bound to; ``None`` when bound to anything else."""
        for _ in range(4):
            if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
                obj = self.value(expr)
                if obj is None or obj.kind != "literal":
                    return None
                expr = obj.node
            else:
                break
        return expr

    def strings(self, expr: cst.CSTNode | None) -> list[str] | None:
        """A string or a list/tuple of strings, literal or through a name
        bound to one; ``None`` when not static."""
        expr = self.literal_node(expr)
        single = string_value(expr)
        if single is not None:
            return [single]
        if isinstance(expr, (cst.List, cst.Tuple)):
            out = []
            for el in expr.elements:
                if not isinstance(el, cst.Element):
                    return None
                s = string_value(el.value)
                if s is None:
                    return None
                out.append(s)
            return out
        return None

    def same_object(self, a: cst.CSTNode | None, b: cst.CSTNode | None) -> bool:
        if a is None or b is None:
            return False
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None:
            return va is vb and va.kind not in ("import", "literal")
        ka, kb = ref_key(a), ref_key(b)
        return ka is not None and ka == kb and va is None and vb is None

    def workflow_of(self, receiver: Obj | None) -> WorkflowObj | None:
        return receiver if isinstance(receiver, WorkflowObj) else None

    def line(self, row: int) -> str:
        return self.lines[row - 1] if 0 < row <= len(self.lines) else ""

    # -- data flow ---------------------------------------------------------
    def param_arguments(self, param: "ParamObj") -> list[tuple[CallEvent, cst.BaseExpression]]:
        """(call, argument expression) passed for a parameter of a function of
        this file at each of its call sites (by keyword or position)."""
        f = param.function
        if f is None or param.name not in f.params:
            return []
        index = f.params.index(param.name)
        out = []
        for c in self.calls:
            if c.local is not f:
                continue
            kw = c.kwarg(param.name)
            if kw is not None:
                out.append((c, kw.value))
                continue
            if any(a.star for a in c.node.args):
                continue  # positions unknown
            offset = 1 if f.is_method and isinstance(c.node.func, cst.Attribute) else 0
            pos = c.positional()
            if 0 <= index - offset < len(pos):
                out.append((c, pos[index - offset].value))
        return out

    def origins(self, expr: cst.CSTNode | None, stop=None, limit: int = 600) -> "Origins":
        """The BayesFlow data values (kinds in ``DATA_KINDS``: ``sims``,
        ``samples``, ``history`` ...) an expression is computed from. Walks the
        expression and follows names back to what they were computed from
        (assignments, unpacking, loop / comprehension targets to their
        iterable, parameters of local functions to the arguments of their call
        sites, containers to the values item-assigned into them: ``out[k] = v``).
        ``stop(call_event) -> bool`` cuts the walk at a call (e.g.
        random draws, the simulator). Bounded by ``limit`` visited nodes."""
        out = Origins()
        if expr is None:
            return out
        seen: set[int] = set()
        stack: list[cst.CSTNode] = [expr]
        while stack and limit > 0:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, _LITERAL_LEAVES) or (
                    isinstance(node, _LITERAL_CONTAINERS) and self._constant_literal(node)):
                continue  # constants carry no data (and must not exhaust the limit)
            limit -= 1
            v = self._values.get(node)
            if v is not None and v.kind in DATA_KINDS:
                out.append(Origin(v, node, None))
                continue
            if stop is not None and isinstance(node, cst.Call):
                ev = self._call_events.get(node)
                if ev is not None and stop(ev):
                    continue
            if v is not None:
                if v.kind in _NO_DATA_KINDS:
                    continue
                # a container filled item by item (``out[k] = draws[k]``) holds what was stored
                stack.extend(self._item_stores.get(v, ()))
                if isinstance(v, ParamObj):
                    for ev, arg in self.param_arguments(v):
                        if stop is None or not stop(ev):
                            stack.append(arg)
                    continue
                src = self._sources.get(v)
                if src is None and v.node is not None and v.node is not node:
                    src = v.node
                if src is not None and src is not node:
                    stack.append(src)
                    continue
            if isinstance(node, cst.Subscript):
                base = self._values.get(node.value)
                if base is not None and base.kind in DATA_KINDS:
                    key = None
                    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                        key = string_value(node.slice[0].slice.value)
                    out.append(Origin(base, node.value, key))
                    continue
                stack.append(node.value)  # an index or key is not the data
                continue
            stack.extend(iter_children(node))
        out.complete = not stack
        return out

    def _constant_literal(self, node: cst.CSTNode) -> bool:
        """A dict / list / tuple / set literal of constants only (config tables)."""
        cache = self.__dict__.setdefault("_constant_cache", {})
        found = cache.get(id(node))
        if found is None:
            found = True
            for n in walk(node):
                if isinstance(n, cst.Name):
                    if n.value not in ("True", "False", "None"):
                        found = False
                        break
                elif not isinstance(n, _LITERAL_LEAVES + _LITERAL_CONTAINERS + _LITERAL_PARTS):
                    found = False
                    break
            cache[id(node)] = found
        return found

    def simulator_functions(self) -> set[int]:
        """``id`` of every FunctionInfo passed to ``bf.make_simulator`` (the
        prior / observation functions), and of local functions nested in them."""
        cached = getattr(self, "_sim_functions", None)
        if cached is None:
            cached = {id(f) for sim in self.simulators for f in sim.functions if f is not None}
            for f in self.functions:  # functions are recorded parents first
                if f.parent is not None and id(f.parent) in cached:
                    cached.add(id(f))
            self._sim_functions = cached
        return cached

    def in_simulator_function(self, call: CallEvent) -> bool:
        """The call is made inside a simulator function (or a function nested in one)."""
        return call.function is not None and id(call.function) in self.simulator_functions()

    def calls_simulator(self, call: CallEvent) -> bool:
        """The call runs the simulator: a prior / observation function given to
        ``bf.make_simulator``, the simulator object itself, ``simulator.sample``
        or ``workflow.simulate``."""
        if call.local is not None and id(call.local) in self.simulator_functions():
            return True
        if call.bf in ("simulate", "simulator_sample"):
            return True
        v = self._values.get(call.node.func)
        return v is not None and v.kind == "simulator"

    def random_draw(self, call: CallEvent) -> list[cst.BaseExpression] | None:
        """When ``call`` draws random numbers from a distribution
        (``np.random.normal``, ``rng.poisson``, ``scipy.stats.norm.rvs``,
        ``stats.norm(mu).rvs()``, ``random.gauss``...), the expressions that
        parameterise it (its arguments, plus those of a frozen scipy
        distribution); else ``None``. Shuffling / choice / integers / seeding
        are not draws."""
        args = [a.value for a in call.node.args]
        q = call.qualname
        if q is not None:
            parts = q.split(".")
            last = parts[-1]
            if last in _NOT_DRAWS:
                return None
            if q.startswith(_RANDOM_MODULES):
                return args
            if q.startswith("scipy.stats.") and last == "rvs":
                return args
            if q in ("torch.normal", "torch.poisson", "torch.bernoulli", "torch.binomial"):
                return args
            return None
        m = call.method
        if m is None or m in _NOT_DRAWS:
            return None
        r = call.receiver
        if m == "rvs":
            if r is not None and r.kind == "foreign" and (r.qualname or "").startswith("scipy.stats."):
                if isinstance(r.node, cst.Call):
                    args += [a.value for a in r.node.args]
                return args
            return None
        if m not in _DRAW_METHODS:
            return None
        if r is not None and r.kind == "foreign" and (r.qualname or "").startswith(_RNG_MAKERS):
            return args
        if r is None or r.kind in ("opaque", "param"):
            name = ref_key(call.node.func.value) if isinstance(call.node.func, cst.Attribute) else None
            if name and re.search(r"(^|[._])(rng|prng|random_state|generator|rs)$", name.lower()):
                return args
        return None


class _Builder:
    """Walks the module once, filling the model."""

    def __init__(self, model: SemanticModel):
        self.m = model
        self.scope = _Scope(None)
        self.function: FunctionInfo | None = None
        self.loops: tuple[cst.CSTNode, ...] = ()
        self.counter = 0
        self.type_checking = False  # inside ``if TYPE_CHECKING:``

    def build(self) -> None:
        self.stmts(self.m.module.body)
        self.resolve_forward_calls()

    def resolve_forward_calls(self) -> None:
        """Calls of a function of this file that is defined further down
        (``main()`` calling ``save_history`` defined below it; ``self.save``
        before ``def save``): set ``CallEvent.local`` and apply the callee's
        history effects. Latest calls first, so that effects of nested
        forward calls reach the outer call sites."""
        by_name: dict[tuple[bool, str], list[FunctionInfo]] = defaultdict(list)
        for f in self.m.functions:
            if f.is_method or f.parent is None:
                by_name[(f.is_method, f.name)].append(f)
        if not by_name:
            return
        for ev in reversed(self.m.calls):
            if ev.local is not None or ev.qualname is not None or ev.bf is not None:
                continue
            func = ev.node.func
            bound = False
            if isinstance(func, cst.Name):
                if self.m.value(func) is not None:
                    continue
                cands = by_name.get((False, func.value), ())
            elif (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and ev.function is not None
                and ev.function.is_method
                and ev.function.params[:1] == [func.value.value]
            ):
                cands = by_name.get((True, func.attr.value), ())
                bound = True
            else:
                continue
            if len(cands) != 1:
                continue
            ev.local = cands[0]
            arg_values = [self.m.value(a.value) for a in ev.node.args]
            self.apply_effects(ev.node, cands[0], arg_values, offset=1 if bound else 0)

    # -- statements --------------------------------------------------------
    def stmts(self, body: Iterable[cst.CSTNode]) -> None:
        for s in body:
            self.stmt(s)

    def suite(self, suite: cst.BaseSuite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.stmts(suite.body)
        else:  # SimpleStatementSuite
            self.stmts(suite.body)

    def stmt(self, s: cst.CSTNode) -> None:
        self.counter += 1
        t = type(s)
        self.m._index[t].append(s)
        if t is cst.SimpleStatementLine:
            self.stmts(s.body)
        elif t is cst.Expr:
            self.eval(s.value)
        elif t is cst.Assign:
            value = self.eval(s.value)
            targets = [tg.target for tg in s.targets]
            self.m.assignments.append(AssignRecord(targets, s.value, self.counter, self.function))
            for tg in targets:
                self.bind(tg, value, s.value)
                if self.function is not None and isinstance(tg, cst.Name):
                    self.function.assigns[tg.value] = s.value
        elif t is cst.AnnAssign:
            if s.value is not None:
                value = self.eval(s.value)
                self.m.assignments.append(
                    AssignRecord([s.target], s.value, self.counter, self.function)
                )
                self.bind(s.target, value, s.value)
        elif t is cst.AugAssign:
            self.eval(s.value)
            self.eval(s.target)
            self.m.aug_assignments.append(
                AssignRecord([s.target], s.value, self.counter, self.function)
            )
        elif t is cst.Return:
            value = self.eval(s.value) if s.value is not None else None
            if self.function is not None:
                self.function.returns.append((s.value, value))
        elif t is cst.Import:
            self.import_(s)
        elif t is cst.ImportFrom:
            self.import_from(s)
        elif t is cst.Del:
            self.delete(s.target)
        elif t is cst.FunctionDef:
            self.function_def(s)
        elif t is cst.ClassDef:
            self.class_def(s)
        elif t is cst.If:
            self.eval(s.test)
            outer_tc = self.type_checking
            test = s.test
            if (isinstance(test, cst.Name) and test.value == "TYPE_CHECKING") or (
                    isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING"):
                self.type_checking = True
            self.suite(s.body)
            self.type_checking = outer_tc
            if s.orelse is not None:
                if isinstance(s.orelse, cst.If):
                    self.stmt(s.orelse)
                else:
                    self.suite(s.orelse.body)
        elif t is cst.For:
            self.eval(s.iter)
            self.bind_from(s.target, s.iter)
            self.bind_elements(s.target, s.iter)
            outer = self.loops
            self.loops = outer + (s,)
            self.suite(s.body)
            self.loops = outer
            if s.orelse is not None:
                self.suite(s.orelse.body)
        elif t is cst.While:
            outer = self.loops
            self.loops = outer + (s,)
            self.eval(s.test)
            self.suite(s.body)
            self.loops = outer
            if s.orelse is not None:
                self.suite(s.orelse.body)
        elif t is cst.With:
            for item in s.items:
                value = self.eval(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, value, None)
            self.suite(s.body)
        elif t in (cst.Try, cst.TryStar):
            self.suite(s.body)
            for h in s.handlers:
                if h.type is not None:
                    self.eval(h.type)
                if h.name is not None:
                    self.bind(h.name.name, None, None)
                self.suite(h.body)
            if s.orelse is not None:
                self.suite(s.orelse.body)
            if s.finalbody is not None:
                self.suite(s.finalbody.body)
        elif isinstance(s, (cst.Pass, cst.Break, cst.Continue, cst.Global, cst.Nonlocal)):
            pass
        else:  # Raise, Assert, Match, TypeAlias, ...
            self.generic(s)

    def generic(self, node: cst.CSTNode) -> Obj | None:
        """Evaluate every sub-expression; propagate history taint."""
        taint = None
        for child in iter_children(node):
            if isinstance(child, cst.BaseExpression):
                v = self.eval(child)
            elif isinstance(child, (cst.BaseSuite,)):
                self.suite(child)
                continue
            elif isinstance(child, (cst.BaseStatement, cst.BaseSmallStatement)):
                self.stmt(child)
                continue
            else:
                v = self.generic(child)
            if v is not None and v.kind in _HISTORY_LIKE:
                taint = v
        if taint is not None:
            return Obj("history_dict", node, parent=_history_root(taint))
        return None

    # -- imports -------------------------------------------------------------
    def _record_import(self, stmt, alias, local, qualname):
        self.m.imports.append(
            ImportRecord(stmt, alias, local, qualname, self.counter, self.function,
                         self.type_checking)
        )

    def import_(self, s: cst.Import) -> None:
        for alias in s.names:
            dotted = _dotted(alias.name)
            if dotted is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
                qual = canonical(dotted)
            else:
                local = dotted.split(".")[0]
                qual = local
            self._record_import(s, alias, local, dotted)
            self.scope.bind(local, Obj("import", alias, qualname=qual))

    def import_from(self, s: cst.ImportFrom) -> None:
        if s.relative:
            base = "." * len(s.relative) + (_dotted(s.module) or "" if s.module else "")
        else:
            base = _dotted(s.module) if s.module is not None else None
        if base is None:
            return
        if isinstance(s.names, cst.ImportStar):
            self.m.star_imports.append(base)
            self._record_import(s, None, None, base + ".*")
            return
        for alias in s.names:
            name = _dotted(alias.name)
            if name is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            else:
                local = name
            qual = canonical(f"{base}.{name}")
            self._record_import(s, alias, local, qual)
            self.scope.bind(local, Obj("import", alias, qualname=qual))

    def delete(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self.delete(el.value)
            return
        key = ref_key(target)
        if key is not None:
            self.scope.bind(key, None)
        else:
            self.eval(target)

    # -- definitions -------------------------------------------------------
    def function_def(self, s: cst.FunctionDef) -> None:
        for d in s.decorators:
            self.eval(d.decorator)
        params = s.params
        all_params = (
            list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
        )
        for p in all_params:
            if p.default is not None:
                self.eval(p.default)
            if p.annotation is not None:
                self.eval(p.annotation.annotation)
        names = [p.name.value for p in all_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                names.append(extra.name.value)
        info = FunctionInfo(s, s.name.value, names, parent=self.function)
        self.m.functions.append(info)
        fobj = FunctionObj("function", s, info=info)
        self.scope.bind(s.name.value, fobj)

        in_class = self.scope.class_scope is not None and self.scope.function is None
        class_scope = self.scope.class_scope if in_class else None
        if class_scope is not None:
            info.is_method = True
            class_scope.vars["self." + s.name.value] = fobj
        self_name = names[0] if in_class and names else None
        parent = self.scope.parent if in_class else self.scope
        inner = _Scope(parent, function=info, class_scope=class_scope, self_name=self_name)
        for i, n in enumerate(names):
            inner.vars[n] = ParamObj("param", p_node(all_params, i), function=info, name=n)
        saved = (self.scope, self.function, self.loops)
        self.scope, self.function, self.loops = inner, info, ()
        self.suite(s.body)
        self.scope, self.function, self.loops = saved

    def class_def(self, s: cst.ClassDef) -> None:
        for d in s.decorators:
            self.eval(d.decorator)
        for a in s.bases:
            self.eval(a.value)
        body_scope = _Scope(self.scope, function=None)
        body_scope.class_scope = _Scope(None)
        saved = self.scope
        self.scope = body_scope
        self.suite(s.body)
        self.scope = saved
        self.scope.bind(s.name.value, Obj("opaque", s))

    # -- binding -------------------------------------------------------------
    def bind(self, target: cst.CSTNode, value: Obj | None, value_node) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                inner = el.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                self.bind_from(inner, value_node)
            return
        if isinstance(target, cst.StarredElement):
            self.bind(target.value, None, None)
            return
        if not isinstance(target, cst.Name):
            self.eval_target_parts(target)
            if isinstance(target, cst.Subscript) and value_node is not None:
                container = self.m._values.get(target.value)
                if container is not None:
                    self.m._item_stores.setdefault(container, []).append(value_node)
        key = ref_key(target)
        if key is None:
            return
        if value is None and value_node is not None:
            value = Obj("opaque", value_node)
        elif value is None:
            value = Obj("opaque", target)
        self.scope.bind(key, value)

    def bind_elements(self, target: cst.CSTNode, it: cst.BaseExpression) -> None:
        """``for name, approx in models.items()`` / ``for wf in [wf1, wf2]`` over a literal
        container whose values are all BayesFlow objects of one kind (estimators,
        workflows): the loop variable is such an object (the first one stands for all)."""
        items = False
        container = it
        if isinstance(it, cst.Call) and not it.args and isinstance(it.func, cst.Attribute) \
                and it.func.attr.value in ("items", "values"):
            items = it.func.attr.value == "items"
            container = it.func.value
        v = self.m._values.get(container)
        node = v.node if v is not None and v.kind == "literal" else container
        if isinstance(node, cst.Dict) and (items or container is not it):
            values = [el.value for el in node.elements if isinstance(el, cst.DictElement)]
        elif isinstance(node, (cst.List, cst.Tuple)) and not items and container is it:
            values = [el.value for el in node.elements if isinstance(el, cst.Element)]
        else:
            return
        objs = [self.m._values.get(e) for e in values]
        if not objs or any(o is None for o in objs) or \
                len({o.kind for o in objs}) != 1 or objs[0].kind not in ("estimator", "workflow"):
            return
        if items:
            if not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
                return
            target = target.elements[1].value
        if isinstance(target, cst.Name):
            self.bind(target, objs[0], values[0])

    def bind_from(self, target: cst.CSTNode, source: cst.CSTNode | None) -> None:
        """Bind unidentified values to ``target`` (a name or an unpacking)
        and remember the expression they come from (see ``SemanticModel.origins``)."""
        if isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self.bind_from(el.value, source)
            return
        if isinstance(target, cst.StarredElement):
            self.bind_from(target.value, source)
            return
        self.bind(target, None, None)
        if source is None:
            return
        key = ref_key(target)
        if key is not None:
            found = self.scope.lookup(key)
            if isinstance(found, Obj):
                self.m._sources[found] = source

    def eval_target_parts(self, target: cst.CSTNode) -> None:
        if isinstance(target, cst.Attribute):
            self.eval(target.value)
        elif isinstance(target, cst.Subscript):
            self.eval(target.value)
            for el in target.slice:
                self.generic(el)

    # -- expressions -----------------------------------------------------------
    def eval(self, e: cst.CSTNode) -> Obj | None:
        t = type(e)
        self.m._index[t].append(e)
        if t is cst.Name:
            found = self.scope.lookup(e.value)
            v = None if found is _MISSING else found
        elif t is cst.Attribute:
            v = self.attribute(e)
        elif t is cst.Call:
            v = self.call(e)
        elif t in (cst.SimpleString, cst.ConcatenatedString):
            if t is cst.ConcatenatedString:
                self.generic(e)
            v = Obj("literal", e)
        elif t in (cst.List, cst.Tuple, cst.Dict):
            taint = self.generic(e)
            v = taint or Obj("literal", e)
        elif t is cst.Subscript:
            v = self.subscript(e)
        elif t in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
            v = self.comprehension(e)
        elif t is cst.Lambda:
            v = self.lambda_(e)
        elif t is cst.NamedExpr:
            v = self.eval(e.value)
            self.bind(e.target, v, e.value)
        elif t in (cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis):
            v = None
        else:
            v = self.generic(e)
        if v is not None:
            self.m._values[e] = v
        return v

    def attribute(self, e: cst.Attribute) -> Obj | None:
        key = ref_key(e)
        if key is not None:
            found = self.scope.lookup(key)
            if found is not _MISSING:
                self.eval(e.value)
                return found
        base = self.eval(e.value)
        attr = e.attr.value
        if attr == "history" and (base is None or base.kind not in ("param", "history", "history_dict")):
            # ``workflow.history``: BasicWorkflow keeps the last fit's History
            last = self.last_fit_history(e.value, base)
            if last is not None:
                return last
        if base is None:
            return None
        if base.kind == "import":
            return Obj("import", e, qualname=canonical(f"{base.qualname}.{attr}"))
        if base.kind == "history" and attr == "history":
            return Obj("history_dict", e, parent=base)
        if base.kind == "workflow" and attr in ("estimator", "approximator"):
            # ``workflow.estimator.fit(...)`` trains the estimator directly
            return Obj("estimator", e, qualname="bayesflow.BasicEstimator", parent=base)
        if base.kind == "param" and attr == "history":
            return Obj("history_dict", e, parent=base)
        if base.kind == "history_dict":
            return base
        return None

    def subscript(self, e: cst.Subscript) -> Obj | None:
        base = self.eval(e.value)
        for el in e.slice:
            self.generic(el)
        key = ref_key(e)
        if key is not None:
            found = self.scope.lookup(key)
            if found is not _MISSING:
                return found
        if base is not None and base.kind == "history_dict":
            return base
        return None

    def comprehension(self, e) -> Obj | None:
        comp: cst.CompFor = e.for_in
        taint = None
        first = self.eval(comp.iter)
        if first is not None and first.kind in _HISTORY_LIKE:
            taint = first
        saved_scope, saved_loops = self.scope, self.loops
        self.scope = _Scope(saved_scope, function=saved_scope.function,
                            class_scope=saved_scope.class_scope, self_name=saved_scope.self_name)
        self.scope.vars = {}
        self.loops = saved_loops + (e,)
        node = comp
        while node is not None:
            if node is not comp:
                v = self.eval(node.iter)
                if v is not None and v.kind in _HISTORY_LIKE:
                    taint = v
            self.bind_from(node.target, node.iter)
            for cond in node.ifs:
                self.eval(cond.test)
            node = node.inner_for_in
        parts = [e.key, e.value] if isinstance(e, cst.DictComp) else [e.elt]
        for p in parts:
            v = self.eval(p)
            if v is not None and v.kind in _HISTORY_LIKE:
                taint = v
        self.scope, self.loops = saved_scope, saved_loops
        if taint is not None:
            return Obj("history_dict", e, parent=_history_root(taint))
        return Obj("opaque", e)

    def lambda_(self, e: cst.Lambda) -> Obj | None:
        params = e.params
        plist = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
        for p in plist:
            if p.default is not None:
                self.eval(p.default)
        saved = self.scope
        self.scope = _Scope(saved, function=saved.function)
        for p in plist:
            self.scope.vars[p.name.value] = None
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                self.scope.vars[extra.name.value] = None
        self.eval(e.body)
        self.scope = saved
        return None

    # -- calls ---------------------------------------------------------------
    def call(self, e: cst.Call) -> Obj | None:
        func = e.func
        receiver = None
        method = None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            key = ref_key(func)
            found = self.scope.lookup(key) if key is not None else _MISSING
            if found is not _MISSING:
                self.eval(func.value)
                fobj = found
            else:
                receiver = self.eval(func.value)
                fobj = self.attribute_of(func, receiver)
                if fobj is not None:
                    self.m._values[func] = fobj
        else:
            fobj = self.eval(func)
        arg_values = [self.eval(a.value) for a in e.args]

        qualname = fobj.qualname if fobj is not None and fobj.kind == "import" else None
        local = fobj.info if isinstance(fobj, FunctionObj) else None
        if qualname is not None:
            method = None  # a module attribute, not a method call
            receiver = None
        result, bf = self.classify(e, qualname, method, receiver, local, arg_values)
        if (bf is not None and qualname is not None and isinstance(func, cst.Attribute)
                and qualname.split(".")[0] != BAYESFLOW):
            # a BayesFlow method called on an object imported from a project module
            qualname, method, receiver = None, func.attr.value, self.m.value(func.value)
        event = CallEvent(
            node=e,
            index=self.counter,
            qualname=qualname,
            method=method,
            receiver=receiver,
            result=result,
            bf=bf,
            loops=self.loops,
            function=self.function,
            local=local,
        )
        self.counter += 1
        self.m.calls.append(event)
        self.m._call_events[e] = event
        self.history_uses(event, arg_values)
        if result is None:
            # calls on history data (``float(x)``, ``dict(h.history)``) stay history data
            for v in arg_values:
                if v is not None and v.kind in _HISTORY_LIKE:
                    return Obj("history_dict", e, parent=_history_root(v))
            if receiver is not None and receiver.kind == "history_dict":
                return Obj("history_dict", e, parent=_history_root(receiver))
        return result

    def attribute_of(self, func: cst.Attribute, receiver: Obj | None) -> Obj | None:
        if receiver is not None and receiver.kind == "import":
            return Obj("import", func, qualname=canonical(f"{receiver.qualname}.{func.attr.value}"))
        return None

    def classify(self, e, qualname, method, receiver, local, arg_values):
        m = self.m
        if qualname is not None:
            root = qualname.split(".")[0]
            if root == BAYESFLOW:
                name = qualname.rsplit(".", 1)[-1]
                if qualname == "bayesflow.BasicWorkflow":
                    return self.new_workflow(e, arg_values), "construct"
                if qualname == "bayesflow.Adapter":
                    adapter = AdapterObj("adapter", e, qualname=qualname, model=m)
                    if e.args:
                        adapter.complete = False
                    m.adapters.append(adapter)
                    return adapter, "construct"
                if qualname in ("bayesflow.make_simulator",):
                    return self.new_simulator(e), "construct"
                if qualname.startswith("bayesflow.simulators.") and name[:1].isupper():
                    sim = SimulatorObj("simulator", e, qualname=qualname)
                    sim.functions = [None]
                    m.simulators.append(sim)
                    return sim, "construct"
                if qualname.startswith("bayesflow.networks."):
                    net = Obj("network", e, qualname=qualname)
                    m.networks.append(net)
                    return net, "construct"
                if name in ESTIMATOR_NAMES:
                    return Obj("estimator", e, qualname=qualname), "construct"
                return Obj("bf", e, qualname=qualname + "()"), None
            if isinstance(e.func, cst.Attribute):
                # ``from my_model import workflow``: BayesFlow's own method names still count
                found = self.unknown_origin_method(e, e.func.attr.value, m.value(e.func.value))
                if found[1] is not None:
                    return found
            return Obj("foreign", e, qualname=qualname + "()"), None
        if local is not None:
            bound = local.is_method and isinstance(e.func, cst.Attribute)
            self.apply_effects(e, local, arg_values, offset=1 if bound else 0)
            ret = local.return_obj()
            if isinstance(ret, ParamObj):
                return None, None
            return ret, None
        if method is None:
            return None, None
        kind = receiver.kind if receiver is not None else None
        if kind == "adapter":
            if method in ADAPTER_CHAIN_METHODS:
                receiver.transforms.append(Transform(method, e, list(e.args)))
                if method in ("apply", "apply_serializable", "add_transform", "append",
                              "insert", "extend"):
                    pass  # routes() gives up on these
                return receiver, None
            return None, None
        if kind == "workflow":
            return self.workflow_method(e, method, receiver)
        if kind == "simulator":
            if method == "sample":
                return Obj("sims", e, parent=receiver), "simulator_sample"
            return None, None
        if kind == "estimator":
            if method == "fit":
                return self.new_history(e, receiver), "estimator_fit"
            if method == "sample":
                return Obj("samples", e, parent=receiver), "sample"
            return None, None
        if kind in ("foreign", "literal", "network", "sims", "samples", "history",
                    "history_dict", "figures", "diagnostics", "function"):
            # a different library's object (or data): only BayesFlow's own
            # unique method names still count
            if kind == "foreign" and method in UNIQUE_WORKFLOW_METHODS:
                return self.workflow_method(e, method, receiver)
            if kind == "foreign" and self.m.uses_bayesflow and self.bayesflow_signature(e, method):
                # e.g. ``workflow = build_workflow()`` imported from a project module
                return self.workflow_method(e, method, receiver)
            return None, None
        # unknown origin: parameter, project import, opaque value, unbound name
        return self.unknown_origin_method(e, method, receiver)

    @staticmethod
    def bayesflow_signature(e: cst.Call, method: str) -> bool:
        """A common method name used with keywords only BayesFlow's own
        method has (``fit_online(num_batches_per_epoch=...)``,
        ``sample(conditions=..., num_samples=...)``)."""
        keywords = {a.keyword.value for a in e.args if a.keyword is not None}
        if method == "fit_online":
            return "num_batches_per_epoch" in keywords
        if method == "sample":
            return {"conditions", "num_samples"} <= keywords
        return False

    def unknown_origin_method(self, e, method, receiver):
        m = self.m
        if method in UNIQUE_WORKFLOW_METHODS:
            return self.workflow_method(e, method, receiver)
        keywords = {a.keyword.value for a in e.args if a.keyword is not None}
        if method == "sample" and "num_samples" in keywords and (
            "conditions" in keywords or m.uses_bayesflow
        ):
            return self.workflow_method(e, method, receiver)
        if method == "fit_online" and m.uses_bayesflow:
            return self.workflow_method(e, method, receiver)
        return None, None

    def workflow_method(self, e, method, receiver):
        if method in FIT_METHODS:
            return self.new_history(e, receiver), method
        if method == "simulate":
            return Obj("sims", e, parent=receiver), "simulate"
        if method == "sample":
            return Obj("samples", e, parent=receiver), "sample"
        if method == "compute_default_diagnostics":
            return Obj("diagnostics", e, parent=receiver), method
        if method == "plot_default_diagnostics":
            return Obj("figures", e, parent=receiver), method
        if method in ("compute_custom_diagnostics", "plot_custom_diagnostics", "log_prob",
                      "estimate", "samples_to_data_frame"):
            return None, method
        return None, None

    def last_fit_history(self, target: cst.BaseExpression, base: Obj | None) -> HistoryObj | None:
        """The History of the latest BayesFlow ``fit_*`` call on ``target``
        (same object, or same spelling when the receiver is unknown)."""
        key = ref_key(target)
        for h in reversed(self.m.histories):
            func = h.node.func
            if not isinstance(func, cst.Attribute) or func.attr.value not in FIT_METHODS:
                continue
            if base is not None and base.kind == "workflow":
                if h.parent is base:
                    return h
            elif key is not None and ref_key(func.value) == key and (
                h.parent is None or h.parent is base
            ):
                return h
        return None

    def new_history(self, e, receiver) -> HistoryObj:
        h = HistoryObj("history", e, parent=receiver)
        self.m.histories.append(h)
        return h

    def new_workflow(self, e: cst.Call, arg_values) -> WorkflowObj:
        wf = WorkflowObj("workflow", e, qualname="bayesflow.BasicWorkflow", model=self.m)
        positional = [a for a in e.args if a.keyword is None and not a.star]
        for i, a in enumerate(positional[: len(WORKFLOW_POSITIONAL)]):
            wf.args[WORKFLOW_POSITIONAL[i]] = a
        for a in e.args:
            if a.keyword is not None:
                wf.args[a.keyword.value] = a
        if "adapter" in wf.args:
            wf.adapter = self.m.value(wf.args["adapter"].value)
        if "simulator" in wf.args:
            wf.simulator = self.m.value(wf.args["simulator"].value)
        self.m.workflows.append(wf)
        return wf

    def new_simulator(self, e: cst.Call) -> SimulatorObj:
        sim = SimulatorObj("simulator", e, qualname="bayesflow.make_simulator")
        first = None
        for a in e.args:
            if a.keyword is None and not a.star:
                first = a.value
                break
            if a.keyword is not None and a.keyword.value in ("sample_fn", "functions", "arg"):
                first = a.value
                break
        elements = []
        if isinstance(first, (cst.List, cst.Tuple)):
            elements = [el.value for el in first.elements]
        elif first is not None:
            elements = [first]
        meta = next((a.value for a in e.args if a.keyword and a.keyword.value == "meta_fn"), None)
        for el in elements:
            obj = self.m.value(el)
            sim.functions.append(obj.info if isinstance(obj, FunctionObj) else None)
        sim.meta = self.m.value(meta) if meta is not None else None  # type: ignore[attr-defined]
        self.m.simulators.append(sim)
        return sim

    # -- history data flow ---------------------------------------------------
    def history_uses(self, event: CallEvent, arg_values) -> None:
        callee = event.qualname or event.method
        if callee is None and isinstance(event.node.func, cst.Name):
            callee = event.node.func.value
        if callee is None:
            return
        pos = 0
        for a, v in zip(event.node.args, arg_values):
            where: int | str
            if a.keyword is not None:
                where = a.keyword.value
            elif a.star:
                continue
            else:
                where = pos
                pos += 1
            if v is None or v.kind not in ("history", "history_dict", "param"):
                continue
            self.record_use(v, HistoryUse(callee, where, event.node, whole=v.kind != "history_dict"))
        # ``history.history`` used as a receiver: ``pd.DataFrame(h.history).to_csv``
        if event.receiver is not None and event.receiver.kind == "history_dict":
            self.record_use(event.receiver, HistoryUse(callee, "self", event.node))

    def record_use(self, v: Obj, use: HistoryUse) -> None:
        root = _history_root(v)
        if isinstance(root, HistoryObj):
            root.uses.append(use)
        elif isinstance(root, ParamObj) and root.function is not None:
            # the parameter is the history itself or its ``.history`` dict
            effects = root.function.param_effects[root.name]
            # recursive calls pass parameters back in: record each use once
            # (else every recursive call site doubles the list)
            if not any(u.node is use.node and u.callee == use.callee and u.arg == use.arg
                       and u.whole == use.whole for u in effects):
                effects.append(use)

    def apply_effects(self, e: cst.Call, f: FunctionInfo, arg_values, offset: int = 0) -> None:
        if not f.param_effects:
            return
        pos = offset
        for a, v in zip(e.args, arg_values):
            if a.star:
                continue
            if a.keyword is not None:
                name = a.keyword.value
            else:
                name = f.params[pos] if pos < len(f.params) else None
                pos += 1
            if name is None or v is None or v.kind not in ("history", "history_dict", "param"):
                continue
            for use in list(f.param_effects.get(name, ())):  # may grow (recursion)
                whole = use.whole and v.kind != "history_dict"
                if whole != use.whole:
                    use = HistoryUse(use.callee, use.arg, use.node, whole)
                self.record_use(v, use)


def _history_root(v: Obj) -> Obj:
    while v.kind == "history_dict" and v.parent is not None:
        v = v.parent
    return v


def _dotted(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else base + "." + node.attr.value
    return None


def p_node(params: list[cst.Param], i: int) -> cst.CSTNode | None:
    return params[i] if i < len(params) else None


# --------------------------------------------------------------------------
# Static shapes of simulated values (one simulation, no batch axis)
# --------------------------------------------------------------------------

# numpy.random / numpy Generator / stdlib random draws -> position of ``size``
_DRAW_SIZE_POS = {
    "normal": 2, "uniform": 2, "lognormal": 2, "gamma": 2, "beta": 2, "laplace": 2,
    "logistic": 2, "gumbel": 2, "vonmises": 2, "wald": 2, "binomial": 2,
    "negative_binomial": 2, "integers": 2, "randint": 2, "f": 2, "noncentral_chisquare": 2,
    "gauss": 2, "hypergeometric": 3, "triangular": 3, "noncentral_f": 3,
    "exponential": 1, "poisson": 1, "chisquare": 1, "standard_t": 1, "standard_gamma": 1,
    "weibull": 1, "pareto": 1, "power": 1, "rayleigh": 1, "geometric": 1, "zipf": 1,
    "logseries": 1, "choice": 1,
    "standard_normal": 0, "standard_cauchy": 0, "standard_exponential": 0, "random": 0,
    "random_sample": 0, "sample": 0, "ranf": 0,
}
_SCALAR_STDLIB_DRAWS = frozenset({"normalvariate", "betavariate", "gammavariate", "expovariate",
                                  "lognormvariate", "paretovariate", "weibullvariate"})
# draws whose event shape comes from an argument: name -> (size position, event argument)
_EVENT_DRAWS = {"multivariate_normal": (2, 0), "dirichlet": (1, 0), "multinomial": (2, 1)}
# Receivers whose name says "random generator" (``rng.gamma``, ``self.random.normal``)
_RNG_HINTS = ("rng", "random", "generator")
_RNG_NAMES = frozenset({"gen", "rs", "g", "r", "key"})


def rng_like_name(text: str) -> bool:
    """An unresolved receiver name that looks like a random generator."""
    low = text.lower()
    return low in _RNG_NAMES or any(h in low for h in _RNG_HINTS)


# every draw -> position of its ``size`` argument (rules share this table)
DRAW_SIZE_POSITION = {**_DRAW_SIZE_POS, **{k: v[0] for k, v in _EVENT_DRAWS.items()}}
_SHAPE_FROM_ARG0 = frozenset({"zeros", "ones", "empty", "full"})
_SHAPE_LIKE = frozenset({"zeros_like", "ones_like", "empty_like", "full_like"})
_ELEMENTWISE = frozenset({
    "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "abs", "absolute",
    "fabs", "tanh", "sinh", "cosh", "arctanh", "sin", "cos", "tan", "arctan", "square", "clip",
    "negative", "round", "rint", "floor", "ceil", "sign", "asarray", "array", "float32", "float64",
    "expit", "logit", "softplus", "sigmoid", "maximum", "minimum", "where", "nan_to_num",
})


def _follow(model: "SemanticModel", expr: cst.CSTNode, function: "FunctionInfo | None"):
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
        target = _follow(model, expr, function)
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


def _shape_arg(model, expr, function, depth) -> tuple[int, ...] | None:
    """A ``size=`` / shape argument: int, tuple/list of ints, or None (scalar)."""
    if isinstance(expr, cst.Name) and expr.value == "None":
        return ()
    n = static_int(model, expr, function, depth)
    if n is not None:
        return (n,)
    if isinstance(expr, (cst.Name, cst.Attribute)):
        target = _follow(model, expr, function)
        return None if target is None else _shape_arg(model, target, function, depth - 1)
    if isinstance(expr, (cst.Tuple, cst.List)):
        dims = []
        for el in expr.elements:
            if not isinstance(el, cst.Element):
                return None
            d = static_int(model, el.value, function, depth)
            if d is None:
                return None
            dims.append(d)
        return tuple(dims)
    return None


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


def _call_arg(call: cst.Call, index: int, name: str | None) -> cst.BaseExpression | None:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a.value
    pos = [a for a in call.args if a.keyword is None and not a.star]
    return pos[index].value if index is not None and 0 <= index < len(pos) else None


def static_shape(model: "SemanticModel", expr: cst.CSTNode | None,
                 function: "FunctionInfo | None" = None, depth: int = 8) -> tuple[int, ...] | None:
    """The shape of one simulated value when it is known statically: ``()``
    for scalars (numbers, draws without ``size``), ``(k,)`` for ``size=k``,
    ``(H, W, C)`` for ``rng.normal(size=(H, W, C))`` / ``np.zeros((H, W, C))``,
    following local names, arithmetic, elementwise numpy functions,
    ``reshape``/``expand_dims``/``x[..., None]``. ``None`` when unknown."""
    if expr is None or depth <= 0:
        return None
    d = depth - 1
    t = type(expr)
    if t in (cst.Integer, cst.Float):
        return ()
    if t in (cst.Name, cst.Attribute):
        if t is cst.Name and expr.value in ("True", "False"):
            return ()
        target = _follow(model, expr, function)
        return None if target is None else static_shape(model, target, function, d)
    if t is cst.UnaryOperation:
        return static_shape(model, expr.expression, function, d)
    if t is cst.BinaryOperation:
        if isinstance(expr.operator, cst.MatrixMultiply):
            return None
        if isinstance(expr.left, (cst.List, cst.Tuple)) or isinstance(expr.right, (cst.List, cst.Tuple)):
            return None  # sequence repetition / concatenation, not arithmetic
        a = static_shape(model, expr.left, function, d)
        b = static_shape(model, expr.right, function, d)
        return None if a is None or b is None else _broadcast(a, b)
    if t is cst.IfExp:
        a = static_shape(model, expr.body, function, d)
        b = static_shape(model, expr.orelse, function, d)
        return a if a is not None and a == b else None
    if t in (cst.List, cst.Tuple):
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
    if t is cst.Subscript:
        return _subscript_shape(model, expr, function, d)
    if t is cst.Call:
        return _call_shape(model, expr, function, d)
    return None


def _subscript_shape(model, expr: cst.Subscript, function, depth):
    base = static_shape(model, expr.value, function, depth)
    if base is None:
        return None
    items = []
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
        else:
            return None
    if items.count("...") > 1:
        return None
    if "..." in items:
        i = items.index("...")
        head, tail = items[:i], items[i + 1:]
        n_real = len([x for x in head + tail if x == ":"])
        if n_real > len(base):
            return None
        items = head + [":"] * (len(base) - n_real) + tail
    out, k = [], 0
    for x in items:
        if x == "new":
            out.append(1)
        else:
            if k >= len(base):
                return None
            out.append(base[k])
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
        is_method and (event is None or event.receiver is None
                       or event.receiver.kind in ("opaque", "foreign", "param")))
    if random_like:
        if name in _DRAW_SIZE_POS:
            size_pos = _DRAW_SIZE_POS[name]
            size = _call_arg(expr, size_pos, "size")
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
        if name in _SCALAR_STDLIB_DRAWS and root == "random":
            return ()
        if name in ("rand", "randn") and qualname is not None:
            dims = [static_int(model, a.value, function, depth) for a in expr.args]
            if any(a.keyword is not None or a.star for a in expr.args) or None in dims:
                return None
            return tuple(dims)  # type: ignore[arg-type]
        if name in _EVENT_DRAWS:
            size_pos, event_pos = _EVENT_DRAWS[name]
            event_arg = _call_arg(expr, event_pos, None)
            ev = static_shape(model, event_arg, function, depth) if event_arg is not None else None
            if ev is None or len(ev) != 1:
                return None
            size = _call_arg(expr, size_pos, "size")
            batch = () if size is None else _shape_arg(model, size, function, depth)
            return None if batch is None else batch + ev
    if name == "rvs" and (root == "scipy" or is_method):
        size = _call_arg(expr, -1, "size")
        if size is not None:
            return _shape_arg(model, size, function, depth)
        return () if all(a.keyword is not None for a in expr.args) else None
    if root == "numpy" or (qualname is not None and qualname.startswith("scipy.special.")):
        if name in _SHAPE_FROM_ARG0:
            first = _call_arg(expr, 0, "shape")
            return None if first is None else _shape_arg(model, first, function, depth)
        if name in _SHAPE_LIKE or name in _ELEMENTWISE:
            first = _call_arg(expr, 0, None)
            if name in ("maximum", "minimum", "where"):
                return None
            return None if first is None else static_shape(model, first, function, depth)
        if name == "expand_dims":
            base = static_shape(model, _call_arg(expr, 0, "a"), function, depth)
            axis = _axis(model, _call_arg(expr, 1, "axis"), function)
            return _expand(base, axis)
        if name == "reshape":
            base = static_shape(model, _call_arg(expr, 0, "a"), function, depth)
            shape = _shape_arg(model, _call_arg(expr, 1, "newshape") or _call_arg(expr, 1, "shape"),
                               function, depth)
            return _reshape(base, shape)
        if name == "linspace":
            num = _call_arg(expr, 2, "num")
            n = 50 if num is None else static_int(model, num, function, depth)
            return None if n is None else (n,)
        if name == "arange" and len(expr.args) == 1 and expr.args[0].keyword is None:
            n = static_int(model, expr.args[0].value, function, depth)
            return None if n is None else (n,)
        return None
    if qualname is not None and qualname.startswith("scipy.ndimage.") and name.endswith("_filter"):
        return static_shape(model, _call_arg(expr, 0, "input"), function, depth)
    if qualname is None and isinstance(func, cst.Name) and event is not None and event.local is None:
        if name in ("float", "int", "round") and len(expr.args) == 1:
            return ()
        if name == "abs" and len(expr.args) == 1:
            return static_shape(model, expr.args[0].value, function, depth)
        return None
    if is_method and name in ("reshape", "flatten", "ravel", "astype", "copy", "squeeze"):
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
