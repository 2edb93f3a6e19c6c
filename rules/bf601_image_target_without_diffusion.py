from __future__ import annotations

from bflint import bayesflow_api
from bflint.analyze.networks import (
    DIFFUSION,
    IMAGE_SUBNETS,
    NetworkRef,
    bound_args,
    resolve_expr,
    shape_text,
    short,
    workflow_network,
)
from bflint.analyze.shapes import image_targets
from bflint.rule import Rule

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
    convolutional (`UNet`) or a vision transformer (`UViT`, `ResidualUViT`). Shapes are
    followed through names and constants (`H = W = 28`, `SHAPE + (1,)`, `CONFIG["size"]`,
    `field[..., None]`, `field.shape`, `np.meshgrid`, `np.stack(..., axis=-1)`, constants
    imported from a project module); the rule is silent when the shapes of the simulator
    outputs are not known statically (also when a constant depends on a branch).

    ## Example
    ```python
    def prior():
        return {"field": rng.normal(size=(32, 32, 1))}


    def observe(field):
        return {"obs": field + rng.normal(size=(32, 32, 1))}


    adapter = bf.Adapter().rename("field", "inference_variables").rename("obs", "inference_conditions")
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, observe]),
        adapter=adapter,
        inference_network=bf.networks.FlowMatching(),
    )
    ```

    ## Use instead
    ```python
    def prior():
        return {"field": rng.normal(size=(32, 32, 1))}


    def observe(field):
        return {"obs": field + rng.normal(size=(32, 32, 1))}


    adapter = bf.Adapter().rename("field", "inference_variables").rename("obs", "inference_conditions")
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
               "inference network is {network}")
    FIX_TITLE = ("Use `bf.networks.DiffusionModel(subnet=bf.networks.UNet)` (or `UViT` / "
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
            if bayesflow_api.network_role(ref.qualname) != "inference":
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
