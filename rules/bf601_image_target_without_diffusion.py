from __future__ import annotations

import dataclasses

import libcst as cst

from bflint import api
from bflint.model import SimulatorObj, static_shape
from bflint.rule import Rule

DIFFUSION = "bayesflow.networks.DiffusionModel"
IMAGE_SUBNETS = frozenset(
    {"bayesflow.networks.UNet", "bayesflow.networks.UViT", "bayesflow.networks.ResidualUViT"}
)


# -- helpers shared by the BF6xx rules -------------------------------------------------------


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
            return NetworkRef("call", obj.node, qualname=api.canonical(obj.qualname), event=event)
    if obj is not None and obj.kind == "import" and obj.is_bayesflow:
        return NetworkRef("class", expr, qualname=api.canonical(obj.qualname))
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
    sig = api.signature(qualname)
    names = [p["name"] for p in sig["params"]
             if p["kind"] in ("positional_only", "positional_or_keyword")] if sig else []
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


def simulator_outputs(wf):
    """``{key: (FunctionInfo, expr)}`` of the workflow's simulator, or None when unknown
    (not a ``make_simulator`` of this file's functions, or batched)."""
    sim = wf.simulator
    if not isinstance(sim, SimulatorObj) or not isinstance(sim.node, cst.Call):
        return None
    for a in sim.node.args:
        if a.star == "**":
            return None
        if a.keyword is not None and a.keyword.value == "is_batched" and not (
            isinstance(a.value, cst.Name) and a.value.value == "False"
        ):
            return None
    return sim.outputs()


def short(qualname: str | None) -> str:
    return (qualname or "...").rsplit(".", 1)[-1]


def shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(str(d) for d in shape)


def is_image_shape(shape: tuple[int, ...] | None) -> bool:
    """H x W x C with a spatial grid of at least 8 x 8 and 1-4 channels."""
    return (
        shape is not None and len(shape) == 3 and min(shape[0], shape[1]) >= 8
        and 1 <= shape[2] <= 4
    )


# -- the rule ----------------------------------------------------------------------------------


class ImageTargetWithoutDiffusion(Rule):
    """## What it does
    Flags a workflow whose inference variables are images (a simulator output with an
    `H x W x C` shape such as `rng.normal(size=(32, 32, 1))` or `np.zeros((32, 32, 3))`,
    routed into `inference_variables`) trained with an inference network other than
    `bf.networks.DiffusionModel(subnet=UNet / UViT / ResidualUViT)`.

    ## Why is this bad?
    The default inference networks (`CouplingFlow`, `FlowMatching`, a `DiffusionModel`
    with its default `time_mlp` subnet) flatten the image into an unstructured vector: they
    ignore the spatial structure and scale badly with the number of pixels, so the generated
    images are blurry or wrong. Image-valued targets need a diffusion model whose subnet is
    convolutional (`UNet`) or a vision transformer (`UViT`, `ResidualUViT`). The rule is
    silent when the shapes of the simulator outputs are not known statically.

    ## Example
    ```python
    def prior():
        return {"field": rng.normal(size=(32, 32, 1))}

    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, observe]),
        adapter=bf.Adapter().rename("field", "inference_variables").rename("obs", "inference_conditions"),
        inference_network=bf.networks.FlowMatching(),
    )
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, observe]),
        adapter=adapter,
        inference_network=bf.networks.DiffusionModel(subnet=bf.networks.UNet),
    )
    ```
    """

    CODE = "BF601"
    NAME = "image-target-without-diffusion"
    SEVERITY = "E"
    MESSAGE = ("{keys} routed to `inference_variables` {verb} image-valued ({shapes}) but the "
               "inference network is {network}: use "
               "`bf.networks.DiffusionModel(subnet=bf.networks.UNet)` (or `UViT` / "
               "`ResidualUViT`) for image-valued targets")

    def check(self, model):
        for wf in model.workflows:
            images = image_targets(model, wf)
            if not images:
                continue
            ref = workflow_network(model, wf, "inference_network")
            network = self.describe_unfit(model, ref)
            if network is None:
                continue
            keys = ", ".join(f"`{k}`" for k, _ in images)
            shapes = ", ".join(shape_text(s) for _, s in images)
            yield self.report(ref.node, keys=keys, shapes=shapes, network=network,
                              verb="are" if len(images) > 1 else "is")

    @staticmethod
    def describe_unfit(model, ref: NetworkRef) -> str | None:
        """How to name an unfit inference network, or None when fit (or unknown)."""
        if ref.kind == "missing":
            return "the default `CouplingFlow` (`inference_network` not given)"
        if ref.kind == "string":
            return f'`"{ref.string}"`'
        if ref.kind not in ("call", "class") or not ref.qualname:
            return None
        if ref.qualname != DIFFUSION:
            if api.network_role(ref.qualname) != "inference":
                return None  # a custom or unknown network: cannot tell
            return f"`{short(ref.qualname)}`"
        if ref.kind == "class":
            return "`DiffusionModel` with its default `time_mlp` subnet"
        args = bound_args(ref.event, ref.qualname)
        if args is None:
            return None
        subnet = args.get("subnet")
        if subnet is None:
            return "`DiffusionModel()` with its default `time_mlp` subnet"
        sub = resolve_expr(model, subnet, subnet)
        if sub.kind == "string":
            return f'`DiffusionModel(subnet="{sub.string}")`'
        if sub.kind in ("call", "class") and sub.qualname:
            if sub.qualname in IMAGE_SUBNETS:
                return None
            if sub.qualname.startswith("bayesflow.networks."):
                return f"`DiffusionModel(subnet={short(sub.qualname)})`"
        return None


def image_targets(model, wf) -> list[tuple[str, tuple[int, ...]]]:
    """(key, shape) of image-valued simulator outputs routed into inference_variables."""
    routes = wf.routes()
    if not routes or not routes["inference_variables"]:
        return []
    outputs = simulator_outputs(wf)
    if not outputs:
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
