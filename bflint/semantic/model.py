"""The query surface of the per-file semantic model.

One recursive walk over the LibCST tree (:mod:`bflint.semantic.builder`: no
metadata providers, no node re-construction) resolves imports through an
alias table, follows bindings (``wf = bf.BasicWorkflow(...)``, ``self.wf``,
``workflows["a"]``), builds each adapter's ordered transforms, records the
functions passed to ``bf.make_simulator`` and classifies every call in
source order.

Rules never resolve names themselves: they ask the model what an expression
*is* (:meth:`SemanticModel.value`, :meth:`SemanticModel.qualname`) and read the
objects it built (:attr:`SemanticModel.workflows`, :attr:`SemanticModel.calls`...).
When a binding is ambiguous the model answers ``None`` and rules stay silent.
Analyses over the model (:mod:`bflint.analyze`) are computed on demand and
cached once per file with :meth:`SemanticModel.analysis`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

import libcst as cst

from bflint.bayesflow_api import BAYESFLOW
from bflint.semantic.builder import Builder
from bflint.semantic.cst_util import iter_children, literal_dict, ref_key, string_value, walk
from bflint.semantic.values import (
    DATA_KINDS,
    NO_DATA_KINDS,
    AdapterObj,
    AssignRecord,
    CallEvent,
    FunctionInfo,
    HistoryObj,
    ImportRecord,
    Obj,
    Origin,
    Origins,
    ParamObj,
    SimulatorObj,
    WorkflowObj,
)

T = TypeVar("T")
_LITERAL_LEAVES = (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)
_LITERAL_CONTAINERS = (cst.Dict, cst.List, cst.Tuple, cst.Set)
_LITERAL_PARTS = (cst.DictElement, cst.Element, cst.UnaryOperation, cst.Name,
                  cst.ConcatenatedString)


class SemanticModel:
    """What one file's code means, as far as bflint needs it."""

    def __init__(self, module: cst.Module, source: str, filename: str = "<string>",
                 project=None):
        self.module = module
        # issue 12: a bflint.project.index.Context (imports of the project's own
        # modules resolve to their summaries), or None (this file alone)
        self.project = project
        self.project_entries: list[cst.CSTNode] = []  # local nodes where such values enter
        self.module_scope: dict[str, Obj | None] = {}
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
        # a project module's helper's workflow as a call here binds its simulator / adapter
        # (``create_workflow(simulator, adapter)``): not this file's workflow (the helper's
        # module reports what it builds); rules about the pairing (BF103) look at them
        self.bound_workflows: list[WorkflowObj] = []
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
        # literal dicts something may have changed besides ``d[k] = v`` (``d.update(...)``,
        # ``del d[k]``, ``d |= ...``, passed to a function): their entries are not literals
        self._changed_dicts: set[Obj] = set()
        # classes of this file whose instance a workflow got as ``simulator=``
        self._simulator_classes: set[Obj] = set()
        self._store_index: dict[int, int] = {}  # id(stored value) -> statement counter
        # value a name holds after an ``if`` -> what other branches bound to it
        self._alternatives: dict[Obj, list[Obj]] = {}
        self._constant_cache: dict[int, bool] = {}
        self._sim_functions: set[int] | None = None
        self._analyses: dict[Callable, object] = {}
        Builder(self).build()

    def adopt(self, other: "SemanticModel") -> None:
        """Answer queries about ``other``'s nodes too (issue 12): values of a
        project module this file imports reach this model with nodes of that
        module (a simulator's functions, an adapter's transforms)."""
        for name in ("_values", "_call_events", "_sources", "_item_stores", "_alternatives"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for k, v in theirs.items():
                mine.setdefault(k, v)
        self._changed_dicts |= other._changed_dicts

    def adopted(self) -> list["SemanticModel"]:
        """The project modules' models this one uses, transitively."""
        out: list[SemanticModel] = []
        stack = list(self.project.adopted) if self.project is not None else []
        while stack:
            m = stack.pop(0)
            if m in out or m is self:
                continue
            out.append(m)
            if m.project is not None:
                stack.extend(m.project.adopted)
        return out

    def analysis(self, provider: Callable[["SemanticModel"], T]) -> T:
        """``provider(self)``, computed on first use and cached for this file (like a
        LibCST metadata provider): rules share analyses without attaching state."""
        try:
            return self._analyses[provider]  # type: ignore[return-value]
        except KeyError:
            found = self._analyses[provider] = provider(self)
            return found

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

    def source_of(self, obj: Obj | None) -> cst.CSTNode | None:
        """The expression an unidentified value was computed from (``a, b = 0.0, x``:
        ``0.0`` for ``a``; a loop variable: its iterable), or ``None``."""
        return self._sources.get(obj) if obj is not None else None

    def stored_after(self, node: cst.CSTNode, index: int) -> bool:
        """``node`` is a value item-assigned into a container (``d[k] = node``) by a
        statement after ``index`` (a call's :attr:`CallEvent.index`)."""
        found = self._store_index.get(id(node))
        return found is not None and found > index

    def alternatives(self, obj: Obj | None) -> list[Obj]:
        """What else the name holding ``obj`` may hold at that point: the values
        other branches of an ``if`` bound to it (or what it held before, when a
        branch leaves it alone). Empty when the binding is unambiguous."""
        return self._alternatives.get(obj, []) if obj is not None else []

    def call_event(self, node: cst.Call) -> CallEvent | None:
        return self._call_events.get(node)

    def bf_calls(self, *kinds: str) -> list[CallEvent]:
        return [c for c in self.calls if c.bf is not None and (not kinds or c.bf in kinds)]

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

    def strings(self, expr: cst.CSTNode | None, _depth: int = 3) -> list[str] | None:
        """A string or a list/tuple of strings, literal or through a name
        bound to one, or a parameter of a helper of this file that every call
        site gives the same static strings (``build_adapter(["a", "b"])``);
        ``None`` when not static."""
        obj = self.value(expr) if isinstance(expr, cst.Name) else None
        if isinstance(obj, ParamObj) and _depth > 0:
            sites = self.param_arguments(obj)
            f = obj.function
            if not sites or f is None or len(sites) != len(self.call_sites(f)):
                return None  # a call site uses the default, or passes it by unpacking
            found = [self.strings(arg, _depth - 1) for _, arg in sites]
            if found[0] is None or any(k != found[0] for k in found[1:]):
                return None
            return found[0]
        keys = self._dict_keys(obj.node if obj is not None else expr)
        if keys is not None:
            return keys
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

    def _dict_keys(self, node: cst.CSTNode | None) -> list[str] | None:
        """``list(BOUNDS.keys())`` / ``list(BOUNDS)`` / ``tuple(...)`` of a literal dict
        with string keys: its keys in order."""
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
                and node.func.value in ("list", "tuple") and len(node.args) == 1
                and not node.args[0].star and node.args[0].keyword is None):
            return None
        inner: cst.CSTNode = node.args[0].value
        if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and \
                inner.func.attr.value == "keys" and not inner.args:
            inner = inner.func.value
        d = literal_dict(self.literal_node(inner))
        return list(d) if d else None

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
    def call_sites(self, f) -> list[CallEvent]:
        """The calls of a function of this file, in source order (indexed
        once per file: asking for every function stays linear)."""
        return self.analysis(_call_sites).get(id(f), [])

    def param_arguments(self, param: "ParamObj") -> list[tuple[CallEvent, cst.BaseExpression]]:
        """(call, argument expression) passed for a parameter of a function of
        this file at each of its call sites (by keyword or position)."""
        f = param.function
        if f is None or param.name not in f.params:
            return []
        index = f.params.index(param.name)
        out = []
        for c in self.call_sites(f):
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

    def origins(self, expr: cst.CSTNode | None, stop=None, limit: int = 600,
                mark=None, visited: set[int] | None = None) -> "Origins":
        """The BayesFlow data values (kinds in ``DATA_KINDS``: ``sims``,
        ``samples``, ``history`` ...) an expression is computed from. Walks the
        expression and follows names back to what they were computed from
        (assignments, unpacking, loop / comprehension targets to their
        iterable, parameters of local functions to the arguments of their call
        sites, containers to the values item-assigned into them: ``out[k] = v``).
        ``stop(call_event) -> bool`` cuts the walk at a call (e.g.
        random draws, the simulator). ``mark(obj) -> bool`` makes other values
        origins of their own (reported as found, not walked further: e.g. what the
        script passes as true parameters). ``visited``: a set that receives the
        ``id`` of every node the walk reached (what flows into ``expr``). Bounded by
        ``limit`` visited nodes."""
        out = Origins()
        if expr is None:
            return out
        seen: set[int] = visited if visited is not None else set()
        stack: list = [expr]  # nodes, and Objs (branch alternatives)
        while stack and limit > 0:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, Obj):  # what another branch bound to a name
                limit -= 1
                if node.kind in DATA_KINDS or (mark is not None and mark(node)):
                    out.append(Origin(node, node.node, None))
                elif isinstance(node, ParamObj):
                    for ev, arg in self.param_arguments(node):
                        if stop is None or not stop(ev):
                            stack.append(arg)
                elif node.kind not in NO_DATA_KINDS:
                    src = self._sources.get(node, node.node)
                    if src is not None:
                        stack.append(src)
                continue
            if isinstance(node, _LITERAL_LEAVES) or (
                    isinstance(node, _LITERAL_CONTAINERS) and self._constant_literal(node)):
                continue  # constants carry no data (and must not exhaust the limit)
            limit -= 1
            v = self._values.get(node)
            if v is not None and v in self._alternatives:
                stack.extend(self._alternatives[v])
            if v is not None and (v.kind in DATA_KINDS or (mark is not None and mark(v))):
                out.append(Origin(v, node, None))
                continue
            if isinstance(node, cst.Call):
                call = self._call_events.get(node)
                if call is not None and stop is not None and stop(call):
                    continue
                if call is not None and call.local is not None and v is None:
                    # a helper of this file: what it returns
                    stack.extend(e for e, _ in call.local.returns if e is not None)
            if v is not None:
                if v.kind in NO_DATA_KINDS:
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
        cache = self._constant_cache
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
        cached = self._sim_functions
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


def _call_sites(model: "SemanticModel") -> dict[int, list[CallEvent]]:
    out: dict[int, list[CallEvent]] = {}
    for c in model.calls:
        if c.local is not None:
            out.setdefault(id(c.local), []).append(c)
    return out
