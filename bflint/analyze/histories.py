"""Training histories: the Histories of ``fit_*`` calls, whether they are
discarded, leave the model's sight, are saved as JSON or written otherwise.
Shared by BF303 and BF304; per-file sets are cached with
:meth:`SemanticModel.analysis`."""

from __future__ import annotations

import re

import libcst as cst

from bflint.bayesflow_api import FIT_METHODS
from bflint.semantic.cst_util import ref_key
from bflint.semantic.values import HistoryObj

# Libraries whose functions the linter understands well enough to know they
# neither save a history as JSON nor inspect it behind the model's back.
# A history passed to anything else imported (a project helper
# ``utils.save_run(history)``, ``mlflow.log_dict``, ``wandb.log``) may be
# saved there: the rules stay silent.
KNOWN_ROOTS = frozenset(
    {
        "bayesflow", "keras", "tensorflow", "torch", "jax", "numpy", "scipy", "pandas",
        "polars", "matplotlib", "seaborn", "plotly", "sklearn", "json", "pickle", "joblib",
        "dill", "cloudpickle", "csv", "yaml", "ruamel", "h5py", "os", "sys", "pathlib",
        "shutil", "logging", "warnings", "pprint", "math", "statistics", "itertools",
        "functools", "collections", "copy", "bflint", "IPython", "builtins", "typing",
    }
)
# the history is put into a container the model does not follow
_CONTAINER_METHODS = frozenset(
    {"append", "extend", "insert", "update", "setdefault", "add", "put", "appendleft"}
)
# an unknown method or un-imported function with one of these names may save it
_SAVER_NAME = re.compile(r"save|dump|write|export|persist|store|log|upload|serial|record|track",
                         re.IGNORECASE)
JSON_ROOTS = ("json", "simplejson", "ujson", "orjson", "rapidjson", "srsly")


def fit_histories(model) -> list[HistoryObj]:
    """Histories of ``workflow.fit_offline / fit_online / fit_disk`` calls."""
    out = []
    for h in model.histories:
        ev = model.call_event(h.node)
        if ev is not None and ev.bf in FIT_METHODS:
            out.append(h)
    return out


def uses(model, h: HistoryObj) -> list:
    """Where ``h`` (or data derived from it) is passed: its own uses, and the
    uses after it of a History bound to the same name in another branch of an
    ``if`` (``history = wf.fit_online(...)`` / ``else: history =
    wf.fit_offline(...)``, then ``json.dump(history.history, f)``: the model's
    walk keeps the last binding, and the dump saves whichever ran)."""
    return model.analysis(_shared_uses).get(id(h), h.uses)


def _shared_uses(model) -> dict[int, list]:
    out: dict[int, list] = {}

    def index(node) -> int:
        ev = model.call_event(node)
        return ev.index if ev is not None else -1

    for v in model.histories:
        for alt in model.alternatives(v):
            if not isinstance(alt, HistoryObj) or alt is v:
                continue
            after = max(index(v.node), index(alt.node))
            extra = [u for u in v.uses if index(u.node) > after]
            if extra:
                out.setdefault(id(alt), list(alt.uses)).extend(
                    u for u in extra if u not in out[id(alt)])
    return out


def _root(model, obj):
    while obj is not None and obj.kind == "history_dict" and obj.parent is not None:
        obj = obj.parent
    return obj


def discarded(model, h: HistoryObj) -> bool:
    """``workflow.fit_offline(...)`` written as a statement (its result is
    only reachable through ``workflow.history``, which the model follows)."""
    return id(h.node) in model.analysis(_discarded_calls)


def _discarded_calls(model) -> frozenset[int]:
    return frozenset(id(s.value) for s in model.nodes(cst.Expr))


def _function_names(model) -> frozenset[str]:
    return frozenset(f.name for f in model.functions)


def _local_names(model) -> frozenset[str]:
    return model.analysis(_function_names)


def escapes(model, h: HistoryObj) -> bool:
    """The history (or data derived from it) leaves the model's sight, so
    whether it is saved / inspected elsewhere cannot be known."""
    local = _local_names(model)
    for use in uses(model, h):
        callee = use.callee
        name = callee.rsplit(".", 1)[-1]
        if name in _CONTAINER_METHODS:
            return True
        if "." in callee:  # an imported function
            if callee.split(".")[0] not in KNOWN_ROOTS and name != "inspect_history":
                return True
        elif callee in local:
            ev = model.call_event(use.node)
            if ev is None or ev.local is None:
                return True  # a local function the model could not connect
        elif _SAVER_NAME.search(name) and name not in _KNOWN_NON_JSON_METHODS:
            return True
    # returned from a function whose call sites the model did not connect,
    # or in a tuple / list that the caller unpacks (``return workflow, history``)
    index = model.analysis(_flow_index)
    for f, returned in index.returns.get(id(h), ()):
        sites = model.call_sites(f)
        if not sites:
            return True
        if any(isinstance(expr, (cst.Tuple, cst.List)) for expr in returned):
            if any(not _unpacked_at(model, expr, h, s.node)
                   for expr in returned for s in sites):
                return True
            continue
        if any(_root(model, model.value(s.node)) is not h for s in sites):
            return True
    # stored into a container item, or an attribute the model lost track of
    for rec in index.assigned.get(id(h), ()):
        for t in rec.targets:
            if isinstance(t, (cst.Tuple, cst.List)):
                obj = model.value(rec.value)
                if obj is None or not _unpacked_into(model, obj.node, h, t):
                    return True  # ``history, extra = ...``: unpacking loses track
            if isinstance(t, cst.Subscript) and ref_key(t) is None:
                return True
            if isinstance(t, (cst.Attribute, cst.Subscript)):
                key = ref_key(t)
                for node in index.by_key(model, type(t)).get(key, ()):
                    if node is not t and _root(model, model.value(node)) is not h:
                        return True
    return False


def _unpacked_at(model, returned: cst.BaseExpression, h: HistoryObj, call: cst.Call) -> bool:
    """``return workflow, history`` reaches its caller as ``wf, hist = train(...)``:
    the call site unpacks the tuple into as many names, the one at the History's
    position bound to it (the model followed it; see ``Builder.unpacked``)."""
    if not isinstance(returned, (cst.Tuple, cst.List)):
        return False
    rec = model.analysis(_flow_index).first_assignment.get(id(call))
    if rec is not None:
        return len(rec.targets) == 1 and _unpacked_into(model, returned, h, rec.targets[0])
    return False


def _unpacked_into(model, packed, h: HistoryObj, target) -> bool:
    """``wf, hist = <packed>``: ``packed`` is a tuple / list literal with the History at
    one position and ``target`` a tuple of names as long, so the name at that position
    holds the History (element-wise binding, ``Builder.unpacked``)."""
    if not isinstance(packed, (cst.Tuple, cst.List)) or not isinstance(target, (cst.Tuple, cst.List)):
        return False
    positions = [i for i, el in enumerate(packed.elements)
                 if isinstance(el, cst.Element) and _root(model, model.value(el.value)) is h]
    if len(positions) != 1 or len(target.elements) != len(packed.elements):
        return False
    return isinstance(target.elements[positions[0]].value, cst.Name)


class _FlowIndex:
    """What :func:`escapes` looks up, indexed once per file (linear in the
    file, whatever the number of histories): the assignments and the
    returns of each root object, the first assignment of each value,
    attribute / subscript nodes by reference key."""

    def __init__(self, model) -> None:
        self.assigned: dict[int, list] = {}
        self.first_assignment: dict[int, object] = {}  # id(value) -> its first assignment
        for rec in model.assignments:
            self.first_assignment.setdefault(id(rec.value), rec)
            root = _root(model, model.value(rec.value))
            if root is not None:
                self.assigned.setdefault(id(root), []).append(rec)
        self.returns: dict[int, list] = {}
        for f in model.functions:
            per_root: dict[int, list] = {}
            for expr, obj in f.returns:
                root = _root(model, obj) if obj is not None else None
                if root is not None:
                    per_root.setdefault(id(root), []).append(expr)
            for key, exprs in per_root.items():
                self.returns.setdefault(key, []).append((f, exprs))
        self._keys: dict[type, dict] = {}

    def by_key(self, model, node_type: type) -> dict:
        found = self._keys.get(node_type)
        if found is None:
            found = self._keys[node_type] = {}
            for node in model.nodes(node_type):
                found.setdefault(ref_key(node), []).append(node)
        return found


def _flow_index(model) -> _FlowIndex:
    return _FlowIndex(model)


# non-JSON writers, by callee (resolved name or method): what the message names
_NON_JSON = (
    (re.compile(r"(^|\.)(DataFrame|Series)(\.|$)|^polars\."), "a pandas DataFrame"),
    (re.compile(r"^csv\.|(^|\.)(to_csv|writerow|writerows)$"), "CSV"),
    (re.compile(r"^(pickle|joblib|dill|cloudpickle)\.|(^|\.)to_pickle$"), "pickle"),
    (re.compile(r"^numpy\.(save|savez|savez_compressed|savetxt)$|(^|\.)tofile$"), "numpy"),
    (re.compile(r"^(yaml|ruamel)\."), "YAML"),
    (re.compile(r"^torch\.save$"), "torch.save"),
    (re.compile(r"^h5py\.|(^|\.)(to_hdf|to_parquet|to_excel|to_feather)$"), "a binary table format"),
)
_KNOWN_NON_JSON_METHODS = frozenset(
    {"to_csv", "writerow", "writerows", "to_pickle", "tofile", "to_hdf", "to_parquet",
     "to_excel", "to_feather"}
)


def json_saved(model, h: HistoryObj) -> bool | str:
    """True when ``<h>.history`` (or data derived from it) goes to a JSON
    writer; ``"whole"`` when only the History object itself does (not
    serialisable); False otherwise."""
    whole = False
    for use in uses(model, h):
        parts = use.callee.split(".")
        if len(parts) < 2 or parts[0] not in JSON_ROOTS or parts[-1] not in ("dump", "dumps"):
            continue
        if use.arg not in (0, "obj"):
            continue
        if parts[-1] == "dumps" and _only_printed(model, use.node):
            continue
        if use.whole:
            whole = True
            continue
        return True
    return "whole" if whole else False


def _only_printed(model, dumps: cst.Call) -> bool:
    """``print(json.dumps(h.history))``: shown, not saved."""
    return id(dumps) in model.analysis(_printed_args)


def _printed_args(model) -> frozenset[int]:
    """The arguments of ``print(...)`` calls that print to stdout."""
    out: set[int] = set()
    for ev in model.calls:
        if ev.callee_name == "print" and ev.qualname is None and ev.kwarg("file") is None:
            out.update(id(a.value) for a in ev.node.args)
    return frozenset(out)


def non_json_writers(model, h: HistoryObj) -> list[str]:
    found: list[str] = []
    for use in uses(model, h):
        for pattern, label in _NON_JSON:
            if pattern.search(use.callee) and label not in found:
                found.append(label)
    ev = model.call_event(h.node)
    callbacks = ev.kwarg("callbacks") if ev is not None else None
    if callbacks is not None and _has_csv_logger(model, callbacks.value):
        found.append("`keras.callbacks.CSVLogger`")
    return found


def _has_csv_logger(model, expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name):
        obj = model.value(expr)
        if obj is None or obj.node is None or obj.kind != "literal":
            return False
        expr = obj.node
    if isinstance(expr, (cst.List, cst.Tuple)):
        items = [el.value for el in expr.elements if isinstance(el, cst.Element)]
    else:
        items = [expr]
    for item in items:
        if isinstance(item, cst.Name):
            obj = model.value(item)
            item = obj.node if obj is not None and isinstance(obj.node, cst.Call) else item
        if isinstance(item, cst.Call):
            func = item.func
            name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if name == "CSVLogger":
                return True
    return False


def history_name(model, h: HistoryObj) -> str:
    """How the script names the History (``history``, ``self.history``)."""
    return model.analysis(_assigned_names).get(id(h.node), "history")


def _assigned_names(model) -> dict[int, str]:
    """id(value) -> the first single target it is assigned to, by reference key."""
    out: dict[int, str] = {}
    for rec in model.assignments:
        if len(rec.targets) == 1 and id(rec.value) not in out:
            key = ref_key(rec.targets[0])
            if key is not None:
                out[id(rec.value)] = key
    return out
