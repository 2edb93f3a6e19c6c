"""Names of the BayesFlow API a script uses: dotted paths that BayesFlow
2.1 does not have (in imports and attribute chains rooted at a BayesFlow
import), their 1.x / removed 2.0 replacements, and the recorded callable of
a BayesFlow call. Shared by BF902 and BF903; computed once per file."""

from __future__ import annotations

import dataclasses

import libcst as cst

from bflint import bayesflow_api
from bflint.bayesflow_api import UNIQUE_WORKFLOW_METHODS
from bflint.semantic.cst_util import display_name, dotted, ref_key
from bflint.semantic.values import AdapterObj, ClassObj, InstanceObj, WorkflowObj


@dataclasses.dataclass
class Unknown:
    """A BayesFlow dotted path whose ``component`` does not exist in ``module`` (2.1)."""

    node: cst.CSTNode        # where to report
    path: str                # the full dotted path as written (resolved root)
    module: str              # the recorded module that lacks the component
    component: str
    in_import: bool          # found in an import statement
    not_attribute: bool = False  # a package that exists but is not an attribute (wrappers)
    text: str = ""           # the user's spelling, up to the missing component
    last: str = ""           # the last component of the whole path

    @property
    def prefix(self) -> str:
        return f"{self.module}.{self.component}"


def first_unknown(path: str, imported: frozenset[str] = frozenset()):
    """(module, component, index, not_attribute) of the first component of a
    ``bayesflow.`` path that BayesFlow 2.1 does not have, or None (all known, or the
    contents of the enclosing object are not recorded)."""
    parts = path.split(".")
    if parts[0] != "bayesflow":
        return None
    module = "bayesflow"
    for i, comp in enumerate(parts[1:], start=1):
        if comp.startswith("_"):
            return None
        names = bayesflow_api.public_names(module)
        if names is None:
            return None
        child = f"{module}.{comp}"
        if comp in names:
            if bayesflow_api.is_known_module(child) and bayesflow_api.public_names(child) is not None:
                module = child
                continue
            return None  # a class, function, constant or unrecorded submodule
        if bayesflow_api.is_known_module(child):
            if not bayesflow_api.is_attribute_of_parent(child) and child not in imported:
                return module, comp, i, True
            module = child
            continue
        return module, comp, i, False
    return None


def _import_paths(model) -> dict[int, str]:
    """id(ImportAlias) -> the dotted path the import binds (not canonicalised)."""
    out: dict[int, str] = {}
    for rec in model.imports:
        stmt, alias = rec.node, rec.alias
        if alias is None:
            continue
        name = dotted(alias.name)
        if name is None:
            continue
        if isinstance(stmt, cst.ImportFrom):
            if stmt.relative or stmt.module is None:
                continue
            base = dotted(stmt.module)
            if base is None:
                continue
            out[id(alias)] = f"{base}.{name}"
        else:
            out[id(alias)] = name if alias.asname is not None else name.split(".")[0]
    return out


def imported_modules(model) -> frozenset[str]:
    """Every dotted prefix of every bayesflow import (``import bayesflow.wrappers``)."""
    out = set()
    for rec in model.imports:
        stmt = rec.node
        paths = []
        if isinstance(stmt, cst.ImportFrom) and not stmt.relative and stmt.module is not None:
            base = dotted(stmt.module)
            if base:
                paths.append(base)
                if rec.alias is not None and dotted(rec.alias.name):
                    paths.append(f"{base}.{dotted(rec.alias.name)}")
        elif isinstance(stmt, cst.Import) and rec.alias is not None:
            name = dotted(rec.alias.name)
            if name:
                paths.append(name)
        for p in paths:
            parts = p.split(".")
            for i in range(1, len(parts) + 1):
                out.add(".".join(parts[:i]))
    return frozenset(out)


def unknown_names(model) -> list[Unknown]:
    """Every BayesFlow name the script uses that 2.1 does not have: in import statements
    (one per statement and missing component) and in attribute chains rooted at a
    BayesFlow import (the outermost expression, the call when it is called)."""
    return model.analysis(_unknown_names)


def _unknown_names(model) -> list[Unknown]:
    imported = imported_modules(model)
    out: list[Unknown] = []
    seen: set[tuple[int, str]] = set()
    # ``if TYPE_CHECKING:`` imports never run (and with postponed annotations neither do the
    # annotations naming them): a type checker, not a crash, reports a wrong name there
    typing_only = {id(rec.alias) for rec in model.imports
                   if rec.type_checking and rec.alias is not None}
    for rec in model.imports:
        stmt = rec.node
        if rec.alias is None or not rec.qualname.startswith("bayesflow") or rec.type_checking:
            continue
        if isinstance(stmt, cst.ImportFrom):
            if stmt.relative or stmt.module is None:
                continue
            path = f"{dotted(stmt.module)}.{dotted(rec.alias.name)}"
        else:
            path = dotted(rec.alias.name) or ""
        found = first_unknown(path, frozenset(path.split(".")[:1]) | imported)
        if found is None:
            continue
        module, comp, i, not_attr = found
        if not_attr:
            continue
        key = (id(stmt), f"{module}.{comp}")
        if key in seen:
            continue
        seen.add(key)
        out.append(Unknown(stmt, ".".join(path.split(".")[: i + 1]), module, comp, True,
                           text=".".join(path.split(".")[: i + 1]), last=path.split(".")[-1]))

    roots = _import_paths(model)
    assigned = {ref_key(t) for rec in model.assignments for t in rec.targets}
    candidates = list(model.nodes(cst.Attribute))
    calls_by_func = {}
    for call in model.calls:
        if isinstance(call.node.func, cst.Attribute):
            candidates.append(call.node.func)
            calls_by_func[id(call.node.func)] = call.node
    inner = {id(n.value) for n in candidates if isinstance(n, cst.Attribute)}
    done: set[int] = set()
    for node in candidates:
        if id(node) in inner or id(node) in done:
            continue
        done.add(id(node))
        attrs = []
        root = node
        while isinstance(root, cst.Attribute):
            attrs.append(root.attr.value)
            root = root.value
        if not isinstance(root, cst.Name):
            continue
        obj = model.value(root)
        if obj is None or obj.kind != "import" or not obj.is_bayesflow or id(obj.node) in typing_only:
            continue
        base = roots.get(id(obj.node))
        if base is None or not base.startswith("bayesflow"):
            continue
        path = base + "." + ".".join(reversed(attrs))
        found = first_unknown(path, imported)
        if found is None:
            continue
        module, comp, i, not_attr = found
        if i < len(base.split(".")):
            continue  # the import itself is reported
        prefix_key = ref_key(node)
        if prefix_key is not None and any(
            k is not None and (prefix_key == k or prefix_key.startswith(k + ".")) for k in assigned
        ):
            continue  # monkey-patched by the script
        report = calls_by_func.get(id(node), node)
        shown = _render(root.value, attrs[::-1], i - len(base.split(".")) + 1)
        out.append(Unknown(report, path, module, comp, False, not_attr, text=shown,
                           last=path.split(".")[-1]))
    return out


def _render(root: str, attrs: list[str], upto: int) -> str:
    return ".".join([root] + attrs[:upto])


def legacy_name(unknown: Unknown) -> str | None:
    """1.x replacement text when the missing component is a BayesFlow 1.x name (1.x
    modules and lower-case names only directly under ``bayesflow``); the name used from a
    1.x module (``bf.amortizers.AmortizedPosterior``) gives the more specific advice."""
    comp = unknown.component
    if bayesflow_api.legacy_entry(comp, "removed_2x") is not None:
        return None
    # a 1.x name of a module 2.1 still has (``bf.diagnostics.plot_recovery``); the bare
    # name alone is no 1.x evidence, so such names are kept qualified by their module
    place = unknown.module.partition(".")[2]
    if place:
        entry = bayesflow_api.legacy_entry(f"{place}.{comp}", "names")
        if entry is not None:
            return entry["replacement"]
    if comp[:1].islower():
        if place:
            return None
        entry = bayesflow_api.legacy_entry(comp, "modules") or bayesflow_api.legacy_entry(comp, "names")
        if entry is None:
            return None
        last = unknown.last
        if last and last != comp and last[:1].isupper():
            specific = (bayesflow_api.legacy_entry(f"{comp}.{last}", "names")
                        or bayesflow_api.legacy_entry(last, "names"))
            if specific is not None:
                return specific["replacement"]
            # a 1.x benchmark that 2.x ships as a simulator (``bf.benchmarks.LotkaVolterra``)
            if comp == "benchmarks" and last in (bayesflow_api.public_names("bayesflow.simulators") or ()):
                return f"`bf.simulators.{last}`"
        return entry["replacement"]
    entry = bayesflow_api.legacy_entry(comp, "names")
    return None if entry is None else entry["replacement"]


def bayesflow_callable(model, call) -> str | None:
    """The recorded qualname of a BayesFlow call: a constructor / function resolved through
    the imports, or a method of a workflow, estimator or adapter the model identified."""
    q = call.qualname or model.qualname(call.node)
    if q and (q == "bayesflow" or q.startswith("bayesflow.")):
        return bayesflow_api.record_name(q)
    if call.qualname or not call.method:
        return None
    recv = call.receiver
    if isinstance(recv, WorkflowObj):
        return f"bayesflow.BasicWorkflow.{call.method}"
    if isinstance(recv, AdapterObj):
        return f"bayesflow.Adapter.{call.method}"
    if call.bf is not None and call.method in UNIQUE_WORKFLOW_METHODS:
        return f"bayesflow.BasicWorkflow.{call.method}"
    if recv is not None and recv.kind == "estimator" and recv.qualname:
        return f"{bayesflow_api.record_name(recv.qualname)}.{call.method}"
    return None


def legacy_keyword(qualname: str, keyword: str) -> str | None:
    """1.x replacement when ``keyword`` is a BayesFlow 1.x keyword the 2.1 callable lacks."""
    entry = bayesflow_api.legacy_entry(keyword, "keywords")
    if entry is None or bayesflow_api.is_known_keyword(qualname, keyword) is not False:
        return None
    return entry["replacement"]


def legacy_method(model, call) -> str | None:
    """1.x replacement for a 1.x method called on a BayesFlow object."""
    if not call.method:
        return None
    entry = bayesflow_api.legacy_entry(call.method, "methods")
    if entry is None:
        return None
    recv = call.receiver
    if recv is None or not (isinstance(recv, (WorkflowObj, AdapterObj)) or recv.is_bayesflow
                            or recv.kind == "estimator"):
        return None
    return entry["replacement"]


def snake_case(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper()):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def short_callable(qualname: str) -> str:
    parts = qualname.split(".")
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return f"{parts[-2]}.{parts[-1]}"  # a method: BasicWorkflow.fit_offline
    return parts[-1]


# --------------------------------------------------------------------------
# Every use of BayesFlow 1.x API (issue 11 §3): calls, subclasses and attribute
# uses of an imported 1.x name, 1.x keywords of 1.x callables (also through
# ``super().__init__`` in a subclass of a 1.x class), 1.x methods through ``super()``
# --------------------------------------------------------------------------


@dataclasses.dataclass
class LegacyUse:
    """One place that needs a change to migrate to 2.x."""

    node: cst.CSTNode
    what: str          # the user's spelling, shown in backticks by the rule
    replacement: str


def legacy_replacement(model, qualname: str | None) -> str | None:
    """The 2.x replacement text when ``qualname`` (import-resolved) names BayesFlow
    1.x API, else None (2.1 names, unrecorded places, removed 2.0.x names)."""
    if not qualname or not qualname.startswith("bayesflow."):
        return None
    found = first_unknown(qualname, imported_modules(model))
    if found is None:
        return None
    module, comp, i, not_attr = found
    if not_attr:
        return None
    parts = qualname.split(".")
    return legacy_name(Unknown(None, qualname, module, comp, False, last=parts[-1],  # type: ignore[arg-type]
                               text=".".join(parts[: i + 1])))


def legacy_uses(model) -> list[LegacyUse]:
    return model.analysis(_legacy_uses)


def _chain_root(node: cst.CSTNode) -> cst.CSTNode:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node


def _legacy_root(model, node: cst.CSTNode) -> bool:
    """``node``'s root name is itself bound to a 1.x name by an import
    (``from bayesflow.trainers import Trainer`` -> ``Trainer``, ``Trainer.x``);
    chains from ``bf`` are the business of :func:`unknown_names`."""
    root = _chain_root(node)
    if not isinstance(root, cst.Name):
        return False
    obj = model.value(root)
    if obj is None or obj.kind != "import" or not obj.is_bayesflow:
        return False
    if any(rec.type_checking and rec.alias is obj.node for rec in model.imports):
        return False  # ``if TYPE_CHECKING:`` never runs
    return legacy_replacement(model, obj.qualname) is not None


def _legacy_keywords(call: cst.Call, owner: str, out: list[LegacyUse]) -> None:
    for arg in call.args:
        if arg.keyword is None:
            continue
        entry = bayesflow_api.legacy_entry(arg.keyword.value, "keywords")
        if entry is not None:
            out.append(LegacyUse(arg, f"`{arg.keyword.value}=` of `{owner}`", entry["replacement"]))


def _is_super_call(node: cst.CSTNode) -> bool:
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
            and node.func.value == "super")


def _legacy_uses(model) -> list[LegacyUse]:
    if not model.uses_bayesflow:
        return []
    imported = imported_modules(model)
    if not any(rec.qualname.startswith("bayesflow.") and not rec.type_checking
               and first_unknown(rec.qualname, imported) is not None for rec in model.imports) \
            and not any(legacy_name(u) is not None for u in unknown_names(model)):
        return []  # no 1.x path imported or reached: nothing below can fire
    out: list[LegacyUse] = []
    reported: set[int] = set()
    funcs: set[int] = set()
    for call in model.calls:
        func = call.node.func
        funcs.add(id(func))
        qual = model.qualname(func)
        replacement = legacy_replacement(model, qual)
        if replacement is None:
            continue
        shown = display_name(func) or "..."
        if _legacy_root(model, func):
            out.append(LegacyUse(call.node, f"`{shown}(...)`", replacement))
            reported.add(id(func))
        _legacy_keywords(call.node, shown, out)
    # attribute uses of an imported 1.x name that are not called (``Trainer.load``)
    attrs = [a for a in model.nodes(cst.Attribute) if id(a) not in funcs]
    inner = {id(a.value) for a in model.nodes(cst.Attribute)}
    for a in attrs:
        if id(a) in inner or not _legacy_root(model, a):
            continue
        if any(id(n) in reported for n in _chain_nodes(a)):
            continue
        replacement = legacy_replacement(model, model.value(_chain_root(a)).qualname)
        out.append(LegacyUse(a, f"`{display_name(a) or '...'}`", replacement or ""))
    # subclasses of 1.x classes, and what their methods pass to / call on ``super()``
    methods: dict[int, str] = {}
    v1_classes: dict[int, set[str]] = {}  # id(ClassDef) -> the names of its own methods
    method_class: dict[int, int] = {}  # id(FunctionDef) -> id(ClassDef)
    classes = _classes(model.module)
    for _ in range(3):  # subclasses of subclasses of this file (class B(A), A(Trainer))
        for cls in classes:
            if id(cls) in v1_classes:
                continue
            for base in cls.bases:
                qual = model.qualname(base.value)
                replacement = legacy_replacement(model, qual)
                local = model.value(base.value)
                if replacement is None and not (isinstance(local, ClassObj)
                                                and id(local.node) in v1_classes):
                    continue
                shown = display_name(base.value) or "..."
                if replacement is not None and _legacy_root(model, base.value):
                    # ``bf.trainers.Trainer``: unknown_names
                    out.append(LegacyUse(base.value, f"subclassing `{shown}`", replacement))
                own = set()
                for stmt in cls.body.body:
                    if isinstance(stmt, cst.FunctionDef):
                        methods.setdefault(id(stmt), shown)
                        method_class[id(stmt)] = id(cls)
                        own.add(stmt.name.value)
                v1_classes[id(cls)] = own
                break
    # 1.x methods a subclass inherits, called on ``self`` or on an instance
    for call in model.calls:
        func = call.node.func
        if not (call.method and isinstance(func, cst.Attribute)):
            continue
        entry = bayesflow_api.legacy_entry(call.method, "methods")
        if entry is None or legacy_method(model, call) is not None:
            continue
        cls_id = None
        recv = call.receiver
        if isinstance(recv, InstanceObj) and recv.cls is not None:
            cls_id = id(recv.cls.node)
        elif (call.function is not None and call.function.is_method
              and isinstance(func.value, cst.Name)
              and call.function.params[:1] == [func.value.value]):
            cls_id = method_class.get(id(call.function.node))
        if cls_id in v1_classes and call.method not in v1_classes[cls_id]:
            receiver = display_name(func.value)
            if receiver is None and isinstance(func.value, cst.Call):
                receiver = f"{display_name(func.value.func) or '...'}(...)"
            out.append(LegacyUse(call.node, f"`{receiver or '...'}.{call.method}(...)`",
                                 entry["replacement"]))
    if methods:
        for call in model.calls:
            info = call.function
            while info is not None and id(info.node) not in methods:
                info = info.parent
            func = call.node.func
            if info is None or not isinstance(func, cst.Attribute) or not _is_super_call(func.value):
                continue
            owner = methods[id(info.node)]
            if func.attr.value == "__init__":
                _legacy_keywords(call.node, f"{owner}.__init__", out)
                continue
            entry = bayesflow_api.legacy_entry(func.attr.value, "methods")
            if entry is not None:
                out.append(LegacyUse(call.node, f"`super().{func.attr.value}(...)` of `{owner}`",
                                     entry["replacement"]))
    return out


def _chain_nodes(node: cst.CSTNode):
    while isinstance(node, cst.Attribute):
        yield node
        node = node.value
    yield node


def _classes(module: cst.Module) -> list[cst.ClassDef]:
    """Every class statement (also nested in functions, branches and classes)."""
    out: list[cst.ClassDef] = []
    stack: list[cst.CSTNode] = list(module.body)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.ClassDef):
            out.append(node)
            stack.extend(node.body.body)
        elif isinstance(node, (cst.FunctionDef, cst.If, cst.For, cst.While, cst.With, cst.Try)):
            body = getattr(node, "body", None)
            if body is not None:
                stack.extend(getattr(body, "body", ()))
            for extra in ("orelse", "finalbody"):
                part = getattr(node, extra, None)
                while part is not None:
                    stack.extend(getattr(getattr(part, "body", None), "body", ()))
                    part = getattr(part, "orelse", None) if isinstance(part, cst.If) else None
            for handler in getattr(node, "handlers", ()):
                stack.extend(handler.body.body)
    return out
