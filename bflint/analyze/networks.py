"""What network a workflow gets, shared by the rules that judge networks
(BF104, BF401/BF404, BF6xx, BF903): resolved through the semantic model and
the BayesFlow API data, never by re-reading imports."""

from __future__ import annotations

import dataclasses

import libcst as cst

from bflint import bayesflow_api

DIFFUSION = "bayesflow.networks.DiffusionModel"
IMAGE_SUBNETS = frozenset(
    {"bayesflow.networks.UNet", "bayesflow.networks.UViT", "bayesflow.networks.ResidualUViT"}
)


@dataclasses.dataclass
class NetworkRef:
    """What a workflow gets for a network slot.

    ``kind``: ``missing`` (not passed), ``none`` (literal ``None``), ``string``
    (``"flow_matching"``), ``call`` (a BayesFlow network built with a call: ``event`` is
    the constructor's CallEvent), ``class`` (a BayesFlow class object), ``unknown``.
    ``node`` is where to report (the constructor call, the string, or the workflow call)."""

    kind: str
    node: cst.CSTNode
    qualname: str | None = None
    string: str | None = None
    event: object | None = None


def resolve_expr(model, expr: cst.BaseExpression, fallback: cst.CSTNode) -> NetworkRef:
    if isinstance(expr, cst.Name) and expr.value == "None":
        return NetworkRef("none", expr)
    strings = model.strings(expr)
    if strings is not None and len(strings) == 1 and isinstance(
        expr, (cst.SimpleString, cst.ConcatenatedString, cst.Name, cst.Attribute)
    ):
        return NetworkRef("string", expr, string=strings[0])
    obj = model.value(expr)
    if obj is not None and obj.kind == "network" and isinstance(obj.node, cst.Call) and obj.qualname:
        event = model.call_event(obj.node)
        if event is not None:
            return NetworkRef("call", obj.node, qualname=bayesflow_api.record_name(obj.qualname), event=event)
    if obj is not None and obj.kind == "import" and obj.is_bayesflow:
        return NetworkRef("class", expr, qualname=bayesflow_api.record_name(obj.qualname))
    return NetworkRef("unknown", fallback)


def workflow_network(model, wf, slot: str) -> NetworkRef:
    """The network a ``BasicWorkflow(...)`` gets for ``inference_network`` / ``summary_network``."""
    arg = wf.arg(slot)
    if arg is None:
        if any(a.star for a in wf.node.args):
            return NetworkRef("unknown", wf.node)
        return NetworkRef("missing", wf.node)
    return resolve_expr(model, arg.value, arg.value)


def bound_args(event, qualname: str) -> dict[str, cst.BaseExpression] | None:
    """Arguments of a BayesFlow call by parameter name (positional ones mapped through the
    recorded signature); None when ``*args`` / ``**kwargs`` hide some of them."""
    node = event.node
    if any(a.star for a in node.args):
        return None
    names = bayesflow_api.positional_names(qualname)
    out: dict[str, cst.BaseExpression] = {}
    positional = [a for a in node.args if a.keyword is None]
    for i, a in enumerate(positional):
        if i >= len(names):
            return None
        out[names[i]] = a.value
    for a in node.args:
        if a.keyword is not None:
            out[a.keyword.value] = a.value
    return out


def short(qualname: str | None) -> str:
    return (qualname or "...").rsplit(".", 1)[-1]


def shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(str(d) for d in shape)


def image_diffusion(model, wf) -> bool:
    """The workflow's inference network is a ``DiffusionModel`` whose subnet is an image
    network (``UNet`` / ``UViT`` / ``ResidualUViT``, class or instance): its inference
    variables are images and its conditions are concatenated with them spatially."""
    ref = workflow_network(model, wf, "inference_network")
    return ref.qualname == DIFFUSION and _image_subnet(model, ref)


def _image_subnet(model, ref: NetworkRef) -> bool:
    """``ref`` is a BayesFlow network built with an image subnet (any network class)."""
    if ref.kind != "call" or ref.qualname is None:
        return False
    args = bound_args(ref.event, ref.qualname)
    subnet = None if args is None else args.get("subnet")
    if subnet is None:
        return False
    sub = resolve_expr(model, subnet, subnet)
    return sub.kind in ("call", "class") and sub.qualname in IMAGE_SUBNETS


def _mentions_image_subnet(model) -> bool:
    """The file imports or builds ``UNet`` / ``UViT`` / ``ResidualUViT`` (per file)."""
    names = {bayesflow_api.canonical(r.qualname) for r in model.imports}
    names.update(bayesflow_api.canonical(c.qualname) for c in model.calls if c.qualname)
    return not IMAGE_SUBNETS.isdisjoint(names)


def image_workflow(model, wf) -> bool:
    """The workflow's inference variables are images, as far as the network tells: an
    image diffusion model (:func:`image_diffusion`), any network given an image subnet
    (``FlowMatching(subnet=UNet(...))``: the targets are images even though the network is
    the wrong one, which BF601 reports), or a network this file cannot resolve
    (``eval(config["subnet"])``, passed under an unknown keyword) in a file that imports or
    builds an image subnet."""
    ref = workflow_network(model, wf, "inference_network")
    if ref.kind == "call":  # a DiffusionModel with an image subnet among them
        return _image_subnet(model, ref)
    if ref.kind in ("unknown", "missing"):
        return model.analysis(_mentions_image_subnet)
    return False


# libraries whose classes are not "a project's own network"
_LIBRARY_ROOTS = frozenset({"bayesflow", "keras", "tensorflow", "torch", "jax", "flax",
                            "haiku", "equinox", "numpy", "sklearn", "scipy"})


def custom_network(model, expr: cst.BaseExpression, is_base,
                   depth: int = 4) -> tuple[str, cst.Call] | None:
    """(class name, constructor call) when ``expr`` is an instance of a project's own network class
    (``summary_networks.SummaryGNN(W, 32)`` imported from a project module, or a class
    of this file) that is not ``is_base``: ``is_base(qualname)`` tells the BayesFlow
    class it must not derive from (a local class whose bases reach it is that class;
    an imported one whose name contains the base's name is taken for it). ``None``
    for BayesFlow / library networks, factory functions and unknown values."""
    call = expr if isinstance(expr, cst.Call) else None
    if call is None:
        obj = model.value(expr)
        call = obj.node if obj is not None and isinstance(obj.node, cst.Call) else None
    if call is None:
        return None
    callee = model.value(call.func)
    if callee is not None and isinstance(callee.node, cst.ClassDef):
        name = _local_custom(model, callee.node, is_base, depth)
        return (name, call) if name is not None else None
    q = model.qualname(call.func)
    if q is None or q.split(".")[0] in _LIBRARY_ROOTS or is_base(q):
        return None
    name = q.rsplit(".", 1)[-1]
    if not name[:1].isupper() or name.isupper():
        return None  # a factory function or a constant, not a class
    return name, call


def _local_custom(model, cls: cst.ClassDef, is_base, depth: int) -> str | None:
    if depth == 0:
        return None
    for base in cls.bases:
        obj = model.value(base.value)
        if obj is None:
            continue
        if obj.kind == "import" and obj.qualname and is_base(bayesflow_api.record_name(obj.qualname)):
            return None
        if isinstance(obj.node, cst.ClassDef) and obj.node is not cls and \
                _local_custom(model, obj.node, is_base, depth - 1) is None:
            return None
    return cls.name.value
