"""The value objects of the semantic model: what an expression *is*
(:class:`Obj` and its kinds), adapters with their transforms, workflows,
simulators, histories and their uses, local functions, and the records of
calls, imports and assignments in source order."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from bflint.bayesflow_api import BAYESFLOW, SLOTS
from bflint.semantic.cst_util import argument, literal_dict

if TYPE_CHECKING:  # pragma: no cover
    from bflint.semantic.model import SemanticModel

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
        q = self.qualname
        return q is not None and (q == BAYESFLOW or q.startswith("bayesflow."))


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
        return argument(self.node, index, name)


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

    def routed_slots(self) -> set[str] | None:
        """The slots (``inference_variables``, ``summary_variables`` ...) that receive
        something, also when the keys moved there are not static
        (``.concatenate(param_names, into="inference_variables")`` with
        ``param_names`` a parameter): only the destinations must be known. ``None``
        when the adapter is not fully known or a destination is not literal."""
        if not self.complete:
            return None
        found: set[str] = set()
        for t in self.transforms:
            if t.method in ("concatenate", "rename"):
                src = t.argument(0, "keys" if t.method == "concatenate" else "from_key")
                dst = self._keys(t.argument(1, "into" if t.method == "concatenate" else "to_key"))
                if dst is None or len(dst) != 1:
                    return None
                srcs = self._keys(src)
                if srcs is not None and (not srcs or any(k in SLOTS for k in srcs)):
                    return None  # nothing moved, or a slot moved away: not judged
                if dst[0] in SLOTS:
                    found.add(dst[0])
            elif t.method in ("apply", "apply_serializable", "add_transform", "append",
                              "insert", "extend", "group", "ungroup", "split", "to_dict"):
                return None
        return found

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
                named = self._keys(first)
                if named is None:
                    return None
                for k in named:
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

    def arguments(self, args, values, offset: int = 0) -> tuple[list[tuple[str, Obj | None]], bool]:
        r"""(parameter name, value) of a call's arguments (``args`` the call's ``cst.Arg``\ s,
        ``values`` what they evaluate to; ``offset`` 1 for a method called on an instance),
        and whether a ``*`` / ``**`` argument hides where the others go."""
        out: list[tuple[str, Obj | None]] = []
        starred = False
        pos = offset
        for a, v in zip(args, values):
            if a.star:
                starred = True
            elif a.keyword is not None:
                out.append((a.keyword.value, v))
            else:
                if pos < len(self.params):
                    out.append((self.params[pos], v))
                pos += 1
        return out, starred

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
class ClassObj(Obj):
    """A class defined in this file (kind ``opaque``, ``node`` its ClassDef);
    ``instance_vars``: what its methods bind to ``self.<name>``."""

    instance_vars: dict | None = None


@dataclasses.dataclass(eq=False)
class InstanceObj(Obj):
    """An instance of a class of this file (``trainer = Trainer(wf)``; kind
    ``opaque``): ``trainer.history`` is what the methods bound to ``self.history``."""

    cls: ClassObj | None = None


@dataclasses.dataclass(eq=False)
class ParamObj(Obj):
    function: FunctionInfo | None = None
    name: str = ""


@dataclasses.dataclass(eq=False)
class SimulatorObj(Obj):
    functions: list[FunctionInfo | None] = dataclasses.field(default_factory=list)

    @property
    def batched(self) -> bool:
        """``make_simulator(..., is_batched=<not False>)`` (or ``**kwargs`` that may say
        so): the functions return a batch of simulations, not one."""
        if not isinstance(self.node, cst.Call):
            return False
        for a in self.node.args:
            if a.star == "**":
                return True
            if a.keyword is not None and a.keyword.value == "is_batched" and not (
                isinstance(a.value, cst.Name) and a.value.value == "False"
            ):
                return True
        return False

    def outputs(self) -> dict[str, tuple[FunctionInfo, cst.BaseExpression]] | None:
        """What one simulation returns: key -> (function, draw expression) over
        all simulator functions, local names followed to their assignment.
        ``None`` when a function is unknown, returns something other than
        literal dicts, or the simulator is batched (the one answer to "what
        does the simulator return?")."""
        if not self.functions or any(f is None for f in self.functions) or self.batched:
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
    # a helper's workflow as one call of the helper binds its parameters
    # (``create_workflow(simulator, adapter)``): that call
    site: cst.Call | None = None

    def arg(self, name: str) -> cst.Arg | None:
        return self.args.get(name)

    @property
    def adapter_given(self) -> bool:
        """``adapter=`` passed with something other than a literal ``None``."""
        arg = self.args.get("adapter")
        return arg is not None and not (
            isinstance(arg.value, cst.Name) and arg.value.value == "None"
        )

    def shorthand(self) -> dict[str, cst.Arg]:
        return {s: self.args[s] for s in SLOTS if s in self.args}

    def simulator_outputs(self) -> dict[str, tuple[FunctionInfo, cst.BaseExpression]] | None:
        """:meth:`SimulatorObj.outputs` of the workflow's simulator, or None."""
        sim = self.simulator
        return sim.outputs() if isinstance(sim, SimulatorObj) else None

    @property
    def explicit_adapter(self) -> AdapterObj | None:
        return self.adapter if isinstance(self.adapter, AdapterObj) else None

    def routed_slots(self) -> set[str] | None:
        """The slots that receive something, whatever the spelling (an explicit
        adapter: :meth:`AdapterObj.routed_slots`; the shorthand: the slots named with
        something other than ``None``). ``None`` when unknown."""
        if self.adapter_given:
            adapter = self.explicit_adapter
            return adapter.routed_slots() if adapter is not None else None
        if isinstance(self.node, cst.Call) and any(a.star for a in self.node.args):
            return None
        return {s for s, arg in self.shorthand().items()
                if not (isinstance(arg.value, cst.Name) and arg.value.value == "None")}

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


def private_copy(v: "Obj | None", model: "SemanticModel") -> "Obj | None":
    """``v`` as another module uses it (issue 12): adapters and histories, which
    the importer may extend (``.constrain(...)``, uses), are shallow copies
    answering through ``model`` (which has adopted the defining module)."""
    if isinstance(v, AdapterObj):
        return dataclasses.replace(v, transforms=list(v.transforms), model=model)
    if isinstance(v, HistoryObj):
        return dataclasses.replace(v, uses=list(v.uses))
    return v


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

    def argument(self, index: int | None, name: str | None) -> cst.BaseExpression | None:
        return argument(self.node, index, name)

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
    targets: Sequence[cst.BaseExpression]
    value: cst.BaseExpression
    index: int
    function: FunctionInfo | None


# Values that are BayesFlow data (what ``SemanticModel.origins`` looks for)
# and values that carry none.
DATA_KINDS = frozenset({"sims", "samples", "diagnostics", "figures", "history", "history_dict"})
NO_DATA_KINDS = frozenset(
    {"import", "function", "workflow", "adapter", "simulator", "network", "estimator", "bf"}
)


@dataclasses.dataclass(eq=False)
class Origin:
    """A BayesFlow data value an expression derives from (``obj``), the
    expression where it was reached (``node``) and the literal key first taken
    from it (``test_data["mu"]`` -> ``"mu"``) or ``None``."""

    obj: Obj
    node: cst.CSTNode | None  # None: an object no expression stands for
    key: str | None


class Origins(list):
    """The result of ``SemanticModel.origins``; ``complete`` is False when the
    walk hit its limit (then absent origins prove nothing)."""

    complete: bool = True
