"""The one walk that fills a :class:`~bflint.semantic.model.SemanticModel`:
an evaluator over statements and expressions (bindings through
:mod:`bflint.semantic.scope`), the classification of BayesFlow calls
(workflows, adapters and their transforms, simulators, estimators, networks)
and the data flow of training histories (where a History, or data derived
from it, is passed; effects of local functions on their parameters)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import libcst as cst

from bflint.bayesflow_api import BAYESFLOW, canonical
from bflint.semantic.classify import CallClassifier
from bflint.semantic.cst_util import dotted, iter_children, p_node, ref_key, string_value
from bflint.semantic.histories import HistoryEffects, history_root
from bflint.semantic.scope import MISSING, Scope, Vars
from bflint.semantic.values import (
    AssignRecord,
    CallEvent,
    ClassObj,
    FunctionInfo,
    FunctionObj,
    ImportRecord,
    InstanceObj,
    Obj,
    ParamObj,
    private_copy,
)

if TYPE_CHECKING:  # pragma: no cover
    from bflint.semantic.model import SemanticModel

_HISTORY_LIKE = ("history", "history_dict")
# what ``a, b = <tuple>`` binds element by element (identified BayesFlow objects and data)
_UNPACKED_KINDS = frozenset({"workflow", "estimator", "adapter", "simulator", "network",
                             "history", "history_dict", "sims", "samples", "diagnostics",
                             "figures"})


# methods that only read a dict, and builtins that only read their arguments (dict_changed)
_DICT_READERS = frozenset({"get", "keys", "values", "items", "copy", "__getitem__", "__contains__"})
_PURE_BUILTINS = frozenset({"len", "list", "tuple", "dict", "set", "sorted", "print", "str", "repr",
                            "iter", "enumerate", "zip", "isinstance", "bool", "any", "all", "sum",
                            "min", "max", "id", "type", "hash", "reversed", "frozenset"})
_BAYESFLOW_KINDS = frozenset({"adapter", "workflow", "simulator", "network", "estimator"})


class Builder(CallClassifier, HistoryEffects):
    """Walks the module once, filling the model (calls are classified by
    :class:`CallClassifier`, history uses recorded by :class:`HistoryEffects`)."""

    def __init__(self, model: SemanticModel):
        self.m = model
        self.scope = Scope(None)
        self.function: FunctionInfo | None = None
        self.loops: tuple[cst.CSTNode, ...] = ()
        self.counter = 0
        self._dict_entries: dict[cst.CSTNode, Obj] = {}  # an entry literal -> its dict (dict_item)
        self.type_checking = False  # inside ``if TYPE_CHECKING:``
        self._adopted = 0  # project models adopted so far (issue 12)
        # marimo notebooks: name -> what the cell that returns it bound to it
        self.marimo_defs: dict[str, Obj | None] = {}

    def build(self) -> None:
        self.stmts(marimo_order(self.m.module.body))
        self.resolve_forward_calls()
        self.m.module_scope = self.scope.vars  # what an importing module sees (issue 12)

    # -- project modules (issue 12: bflint.project) ----------------------------
    def project_obj(self, v: Obj | None, node: cst.CSTNode | None = None) -> Obj | None:
        """A value another module of the project defines, as this model uses it:
        the other module's model is adopted (its values answer queries about its
        nodes) and mutable objects are copied (an adapter chained here must not
        grow the other module's)."""
        if v is None:
            return None
        ctx = self.m.project
        for fm in ctx.adopted[self._adopted:]:
            self.m.adopt(fm)
        self._adopted = len(ctx.adopted)
        if node is not None:
            self.m.project_entries.append(node)
        return private_copy(v, self.m)

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
        self.stmts(suite.body)  # IndentedBlock and SimpleStatementSuite alike

    def stmt(self, s: cst.CSTNode) -> None:
        self.counter += 1
        t = type(s)
        self.m._index[t].append(s)
        if isinstance(s, cst.SimpleStatementLine):
            self.stmts(s.body)
        elif isinstance(s, cst.Expr):
            self.eval(s.value)
        elif isinstance(s, cst.Assign):
            value = self.eval(s.value)
            targets = [tg.target for tg in s.targets]
            self.m.assignments.append(AssignRecord(targets, s.value, self.counter, self.function))
            for tg in targets:
                self.bind(tg, value, s.value)
                if self.function is not None and isinstance(tg, cst.Name):
                    self.function.assigns[tg.value] = s.value
        elif isinstance(s, cst.AnnAssign):
            if s.value is not None:
                value = self.eval(s.value)
                self.m.assignments.append(
                    AssignRecord([s.target], s.value, self.counter, self.function)
                )
                self.bind(s.target, value, s.value)
        elif isinstance(s, cst.AugAssign):
            self.eval(s.value)
            self.dict_changed(self.eval(s.target))  # ``CONFIG |= {...}``
            self.m.aug_assignments.append(
                AssignRecord([s.target], s.value, self.counter, self.function)
            )
        elif isinstance(s, cst.Return):
            value = self.eval(s.value) if s.value is not None else None
            if self.function is not None:
                self.function.returns.append((s.value, value))
        elif isinstance(s, cst.Import):
            self.import_(s)
        elif isinstance(s, cst.ImportFrom):
            self.import_from(s)
        elif isinstance(s, cst.Del):
            self.delete(s.target)
        elif isinstance(s, cst.FunctionDef):
            self.function_def(s)
        elif isinstance(s, cst.ClassDef):
            self.class_def(s)
        elif isinstance(s, cst.If):
            self.eval(s.test)
            outer_tc = self.type_checking
            test = s.test
            if (isinstance(test, cst.Name) and test.value == "TYPE_CHECKING") or (
                    isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING"):
                self.type_checking = True
            before = self.snapshot()
            self.suite(s.body)
            self.type_checking = outer_tc
            after_body = self.snapshot()
            if s.orelse is not None:
                if isinstance(s.orelse, cst.If):
                    self.stmt(s.orelse)
                else:
                    self.suite(s.orelse.body)
            self.record_alternatives(before, after_body)
        elif isinstance(s, cst.For):
            self.eval(s.iter)
            self.bind_from(s.target, s.iter)
            self.bind_elements(s.target, s.iter)
            outer = self.loops
            self.loops = outer + (s,)
            self.suite(s.body)
            self.loops = outer
            if s.orelse is not None:
                self.suite(s.orelse.body)
        elif isinstance(s, cst.While):
            outer = self.loops
            self.loops = outer + (s,)
            self.eval(s.test)
            self.suite(s.body)
            self.loops = outer
            if s.orelse is not None:
                self.suite(s.orelse.body)
        elif isinstance(s, cst.With):
            for item in s.items:
                value = self.eval(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, value, None)
            self.suite(s.body)
        elif isinstance(s, (cst.Try, cst.TryStar)):
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
            return Obj("history_dict", node, parent=history_root(taint))
        return None

    # -- branches ------------------------------------------------------------
    def snapshot(self) -> list[tuple[Vars, int]]:
        """Where the bindings visible in the current scope (its own and, in a
        method, the instance's ``self.*`` ones) stand now: their write logs' lengths."""
        out = [(self.scope.vars, len(self.scope.vars.log))]
        if self.scope.class_scope is not None:
            out.append((self.scope.class_scope.vars, len(self.scope.class_scope.vars.log)))
        return out

    def record_alternatives(self, before: list[tuple[Vars, int]],
                            after_body: list[tuple[Vars, int]]) -> None:
        """After an ``if`` (``elif`` / ``else``): a name bound in a branch may hold
        what another branch bound, or what it held before the ``if`` when a branch
        does not rebind it. The walk keeps the last binding (the model's answer);
        the others are recorded as its alternatives (``SemanticModel.alternatives``).
        Only the keys written since the ``if`` began are looked at (from the log)."""
        alternatives = self.m._alternatives
        for (vars_, start), (_, middle) in zip(before, after_body):
            log = vars_.log
            prior_of: dict[str, object] = {}   # key -> its value before the ``if``
            body_of: dict[str, object] = {}    # key -> its value after the first branch
            for i in range(start, len(log)):
                key, old = log[i]
                prior_of.setdefault(key, old)
                if i >= middle:
                    body_of.setdefault(key, old)
            for key in prior_of:
                value = vars_.get(key)
                if not isinstance(value, Obj):
                    continue
                prior = prior_of[key]
                prior = None if prior is MISSING else prior
                in_body = body_of.get(key, value)
                in_body = None if in_body is MISSING else in_body
                if in_body is not value:  # another branch rebound it
                    other = in_body
                elif in_body is not prior:  # bound in the first branch only
                    other = prior
                else:
                    continue
                if not isinstance(other, Obj):
                    continue
                found = alternatives.setdefault(value, [])
                if other not in found:
                    found.append(other)

    # -- imports -------------------------------------------------------------
    def _record_import(self, stmt, alias, local, qualname):
        self.m.imports.append(
            ImportRecord(stmt, alias, local, qualname, self.counter, self.function,
                         self.type_checking)
        )

    def import_(self, s: cst.Import) -> None:
        for alias in s.names:
            path = dotted(alias.name)
            if path is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
                qual = canonical(path)
            else:
                local = path.split(".")[0]
                qual = local
            self._record_import(s, alias, local, path)
            if self.m.project is not None:
                self.m.project.import_module(path, qual if alias.asname is not None else path)
            self.scope.bind(local, Obj("import", alias, qualname=qual))

    def import_from(self, s: cst.ImportFrom) -> None:
        base: str | None
        if s.relative:
            base = "." * len(s.relative) + (dotted(s.module) or "" if s.module else "")
        else:
            base = dotted(s.module) if s.module is not None else None
        if base is None:
            return
        if isinstance(s.names, cst.ImportStar):
            self.m.star_imports.append(base)
            self._record_import(s, None, None, base + ".*")
            if self.m.project is not None:  # a project module's names (``from config import *``)
                module = (dotted(s.module) or "") if s.module is not None else ""
                for name, v in self.m.project.star_import(len(s.relative), module):
                    found = self.project_obj(v, s)
                    if found is not None:
                        self.scope.bind(name, found)
            return
        for alias in s.names:
            name = dotted(alias.name)
            if name is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            else:
                local = name
            qual = canonical(f"{base}.{name}")
            self._record_import(s, alias, local, qual)
            if self.m.project is not None and "." not in name:
                level = len(s.relative)
                module = (dotted(s.module) or "") if s.module is not None else ""
                found = self.project_obj(self.m.project.from_import(level, module, name, qual),
                                         alias)
                if found is not None:
                    self.scope.bind(local, found)
                    continue
            self.scope.bind(local, Obj("import", alias, qualname=qual))

    def delete(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self.delete(el.value)
            return
        if isinstance(target, cst.Subscript):
            self.dict_changed(self.eval(target.value))  # ``del CONFIG["params"]``
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
        inner = Scope(parent, function=info, class_scope=class_scope, self_name=self_name)
        cell = self.function is None and not in_class and self.marimo_cell(s)
        for i, n in enumerate(names):
            if cell and n in self.marimo_defs:
                # a marimo cell's parameter is the name another cell returned
                inner.vars[n] = self.marimo_defs[n]
                continue
            inner.vars[n] = ParamObj("param", p_node(all_params, i), function=info, name=n)
        saved = (self.scope, self.function, self.loops)
        self.scope, self.function, self.loops = inner, info, ()
        self.suite(s.body)
        self.scope, self.function, self.loops = saved
        if cell:
            for n in cell_returns(s):
                found = inner.vars.get(n, MISSING)
                if found is MISSING:
                    found = self.marimo_defs.get(n)
                self.marimo_defs[n] = found

    def marimo_cell(self, s: cst.FunctionDef) -> bool:
        """``@app.cell`` / ``@app.cell(...)`` with ``app = marimo.App(...)`` at module level:
        a marimo cell, whose parameters are the names other cells return."""
        for d in s.decorators:
            dec = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
            if not (isinstance(dec, cst.Attribute) and dec.attr.value == "cell"
                    and isinstance(dec.value, cst.Name)):
                continue
            app = self.scope.lookup(dec.value.value)
            if app is not MISSING and app is not None and app.qualname == "marimo.App()":
                return True
        return False

    def class_def(self, s: cst.ClassDef) -> None:
        for d in s.decorators:
            self.eval(d.decorator)
        for a in s.bases:
            self.eval(a.value)
        body_scope = Scope(self.scope, function=None)
        body_scope.class_scope = Scope(None)
        saved = self.scope
        self.scope = body_scope
        self.suite(s.body)
        self.scope = saved
        self.scope.bind(s.name.value, ClassObj("opaque", s, instance_vars=body_scope.class_scope.vars))

    # -- binding -------------------------------------------------------------
    def bind(self, target: cst.CSTNode, value: Obj | None, value_node) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            parts = self.unpacked(target, value)
            for i, el in enumerate(target.elements):
                inner = el.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                if parts is not None and parts[i][0] is not None:
                    self.bind(inner, parts[i][0], parts[i][1])
                    continue
                # an unidentified element comes from the expression at its position
                self.bind_from(inner, parts[i][1] if parts is not None else value_node)
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
                    self.m._store_index[id(value_node)] = self.counter
        key = ref_key(target)
        if key is None:
            return
        if value is None and value_node is not None:
            value = Obj("opaque", value_node)
        elif value is None:
            value = Obj("opaque", target)
        self.scope.bind(key, value)

    def unpacked(self, target: cst.Tuple | cst.List, value: Obj | None):
        """``a, b = x, y`` / ``approx, adapter = build()`` (the helper returns a
        tuple literal): per target element, (the identified BayesFlow value at that
        position or ``None``, the expression at that position); ``None`` when the
        shapes do not match or a starred element hides positions."""
        if value is None or value.kind not in ("literal", "history_dict"):
            return None
        node = value.node
        if not isinstance(node, (cst.Tuple, cst.List)):
            return None
        elements = node.elements
        if len(elements) != len(target.elements) or any(
                not isinstance(el, cst.Element) for el in elements) or any(
                isinstance(el.value, cst.StarredElement) for el in target.elements):
            return None
        out = []
        for el in elements:
            v = self.m._values.get(el.value)
            out.append((v if v is not None and v.kind in _UNPACKED_KINDS else None, el.value))
        return out

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
        objs = [o for o in (self.m._values.get(e) for e in values) if o is not None]
        if not objs or len(objs) != len(values) or \
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
        if isinstance(e, cst.Name):
            found = self.scope.lookup(e.value)
            v = None if found is MISSING else found
        elif isinstance(e, cst.Attribute):
            v = self.attribute(e)
        elif isinstance(e, cst.Call):
            v = self.call(e)
        elif isinstance(e, (cst.SimpleString, cst.ConcatenatedString)):
            if isinstance(e, cst.ConcatenatedString):
                self.generic(e)
            v = Obj("literal", e)
        elif isinstance(e, (cst.List, cst.Tuple, cst.Dict)):
            taint = self.generic(e)
            v = taint or Obj("literal", e)
        elif isinstance(e, cst.Subscript):
            v = self.subscript(e)
        elif isinstance(e, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            v = self.comprehension(e)
        elif isinstance(e, cst.Lambda):
            v = self.lambda_(e)
        elif isinstance(e, cst.NamedExpr):
            v = self.eval(e.value)
            self.bind(e.target, v, e.value)
        elif isinstance(e, (cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis)):
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
            if found is not MISSING:
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
        if isinstance(base, InstanceObj) and base.cls is not None and base.cls.instance_vars:
            # ``trainer.history``: what the class's methods bound to ``self.history``
            found = base.cls.instance_vars.get("self." + attr)
            if found is not None and found.kind in _UNPACKED_KINDS:
                return found
            return None
        if base.kind == "import":
            if self.m.project is not None:
                found = self.project_obj(self.m.project.attribute(base.qualname, attr), e)
                if found is not None:
                    return found
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
            if found is not MISSING:
                return found
        if base is not None and base.kind == "history_dict":
            return base
        return self.dict_item(base, e)

    def dict_changed(self, v: Obj | None) -> None:
        if v is None or v.kind != "literal" or not isinstance(v.node, (cst.Dict, cst.List, cst.Set)):
            return  # numbers and strings cannot change
        if isinstance(v.node, cst.Dict):
            self.m._changed_dicts.add(v)
        owner = self._dict_entries.get(v.node)  # ``CONFIG["params"].append("tau")``
        if owner is not None:
            self.m._changed_dicts.add(owner)

    def dict_item(self, base: Obj | None, e: cst.Subscript) -> Obj | None:
        """``CONFIG["params"]`` of a literal dict (of this file or a project module's
        config) no statement so far stored into: the literal of that entry."""
        if base is None or base.kind != "literal" or not isinstance(base.node, cst.Dict):
            return None
        if len(e.slice) != 1 or not isinstance(e.slice[0].slice, cst.Index):
            return None
        key = string_value(e.slice[0].slice.value)
        if key is None or self.m._item_stores.get(base) or base in self.m._changed_dicts:
            return None
        found = None
        for el in base.node.elements:
            if not isinstance(el, cst.DictElement):
                found = None  # ``{"a": 1, **other}``: other may replace it
            elif string_value(el.key) == key:
                found = el.value
        if found is None or not isinstance(found, (cst.List, cst.Tuple, cst.SimpleString,
                                                   cst.ConcatenatedString, cst.Integer,
                                                   cst.Float, cst.Dict)):
            return None
        self._dict_entries[found] = base
        return Obj("literal", found)

    def comprehension(self, e) -> Obj | None:
        comp: cst.CompFor = e.for_in
        taint = None
        first = self.eval(comp.iter)
        if first is not None and first.kind in _HISTORY_LIKE:
            taint = first
        saved_scope, saved_loops = self.scope, self.loops
        self.scope = Scope(saved_scope, function=saved_scope.function,
                            class_scope=saved_scope.class_scope, self_name=saved_scope.self_name)
        self.scope.vars = Vars()
        self.loops = saved_loops + (e,)
        node: cst.CompFor | None = comp
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
            return Obj("history_dict", e, parent=history_root(taint))
        return Obj("opaque", e)

    def lambda_(self, e: cst.Lambda) -> Obj | None:
        params = e.params
        plist = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
        for p in plist:
            if p.default is not None:
                self.eval(p.default)
        saved = self.scope
        self.scope = Scope(saved, function=saved.function)
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
            found = self.scope.lookup(key) if key is not None else MISSING
            if found is not MISSING:
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

        qualname = fobj.qualname if isinstance(fobj, Obj) and fobj.kind == "import" else None
        local = fobj.info if isinstance(fobj, FunctionObj) else None
        # a literal dict a method may change (``CONFIG.update(...)``,
        # ``CONFIG["params"].append(...)``) or that a function of the project receives
        # (``apply_overrides(CONFIG)``; libraries' and BayesFlow's calls read their
        # arguments) is no literal any more (dict_item)
        if receiver is not None and method not in _DICT_READERS:
            self.dict_changed(receiver)
        if qualname is None and not (isinstance(func, cst.Name) and func.value in _PURE_BUILTINS) \
                and not (receiver is not None and receiver.kind in _BAYESFLOW_KINDS):
            for v in arg_values:
                self.dict_changed(v)
        if qualname is not None:
            method = None  # a module attribute, not a method call
            receiver = None
        result, bf = self.classify(e, qualname, method, receiver, local, arg_values)
        if local is not None and self.m.project is not None \
                and id(local) in self.m.project.foreign_functions:
            result = private_copy(result, self.m)  # what a function of another module returns
            self.m.project_entries.append(e)
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
                    return Obj("history_dict", e, parent=history_root(v))
            if receiver is not None and receiver.kind == "history_dict":
                return Obj("history_dict", e, parent=history_root(receiver))
            if isinstance(fobj, ClassObj):
                return InstanceObj("opaque", e, cls=fobj)
        return result

    def attribute_of(self, func: cst.Attribute, receiver: Obj | None) -> Obj | None:
        if receiver is not None and receiver.kind == "import":
            if self.m.project is not None:
                found = self.project_obj(
                    self.m.project.attribute(receiver.qualname, func.attr.value), func)
                if found is not None:
                    return found
            return Obj("import", func, qualname=canonical(f"{receiver.qualname}.{func.attr.value}"))
        return None


def marimo_order(body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The module's statements in the order marimo runs them: the cells of a marimo app
    (``app = marimo.App(...)``, ``@app.cell``) may be written in any order, each runs after
    the cells returning its parameters; the cells' places are filled in that order (ties
    and cycles in source order), every other statement keeps its place. A module that is
    no marimo app is unchanged."""
    apps: set[str] = set()
    modules: set[str] = set()  # what ``import marimo`` (``as mo``) binds
    for st in body:
        for small in st.body if isinstance(st, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Import):
                for a in small.names:
                    if isinstance(a.name, cst.Name) and a.name.value == "marimo":
                        alias = a.asname.name if a.asname is not None else None
                        modules.add(alias.value if isinstance(alias, cst.Name) else "marimo")
            if modules and isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                func = small.value.func
                if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                        func.value.value in modules and func.attr.value == "App":
                    apps |= {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
    if not apps:
        return list(body)
    cells = [i for i, st in enumerate(body) if isinstance(st, cst.FunctionDef) and _is_cell(st, apps)]
    if len(cells) < 2:
        return list(body)
    defs: dict[str, int] = {}
    for i in cells:
        node = body[i]
        assert isinstance(node, cst.FunctionDef)
        for n in cell_returns(node):
            defs.setdefault(n, i)
    needs: dict[int, set[int]] = {}
    for i in cells:
        node = body[i]
        assert isinstance(node, cst.FunctionDef)
        ps = node.params
        names = [q.name.value for q in (*ps.posonly_params, *ps.params, *ps.kwonly_params)]
        needs[i] = {defs[n] for n in names if n in defs and defs[n] != i}
    order: list[int] = []
    done: set[int] = set()
    pending = list(cells)
    while pending:
        ready = next((i for i in pending if needs[i] <= done), pending[0])  # a cycle: source order
        pending.remove(ready)
        order.append(ready)
        done.add(ready)
    out = list(body)
    for slot, i in zip(cells, order):
        out[slot] = body[i]
    return out


def _is_cell(s: cst.FunctionDef, apps: set[str]) -> bool:
    for d in s.decorators:
        dec = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        if isinstance(dec, cst.Attribute) and dec.attr.value == "cell" and isinstance(
                dec.value, cst.Name) and dec.value.value in apps:
            return True
    return False


def cell_returns(s: cst.FunctionDef) -> list[str]:
    """The names a marimo cell returns (``return (bf,)``, ``return a, b``), from the
    returns directly in its body."""
    out: list[str] = []
    body = s.body.body if isinstance(s.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.Return) or small.value is None:
                continue
            value = small.value
            elements = value.elements if isinstance(value, cst.Tuple) else ()
            if isinstance(value, cst.Name):
                out.append(value.value)
            for el in elements:
                if isinstance(el, cst.Element) and isinstance(el.value, cst.Name):
                    out.append(el.value.value)
    return out
