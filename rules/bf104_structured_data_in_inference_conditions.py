from __future__ import annotations

import libcst as cst

from bflint.analyze.networks import image_diffusion
from bflint.analyze.sample_axis import SampleAxis, simulation_inputs
from bflint.analyze.shapes import image_targets, static_shape
from bflint.rule import Rule


def routing_anchor(node: cst.CSTNode) -> cst.CSTNode:
    """Where to report a routing: the method name of a (possibly chained)
    adapter call, so the line is the `.concatenate(...)` line itself."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr
    return node


class StructuredDataInInferenceConditions(Rule):
    """## What it does
    Flags structured data (a set, a time series, an image, or data flattened
    into a vector) that is routed to `inference_conditions`: a key that went
    through `.as_set` / `.as_time_series`, that the simulator returns with a
    sample axis (`size=n`, `size=(n, d)`, a list of n draws), also after
    flattening (`.flatten()`, `.reshape(-1)`, `np.ravel`). Flattening alone
    does not count: a fixed-length vector of hand-crafted summary statistics
    (`np.array([autocorr(x, lags), autocorr(y, lags)]).flatten()`, means,
    standard deviations) is a proper condition. Only exchangeable draws count
    as a sample axis: noise added to a curve over a fixed grid
    (`a * np.exp(-b * TIMES) + sd * rng.standard_normal(TIMES.shape)` with a
    constant `TIMES` vector, `np.linspace`, `np.arange`), or a draw whose
    location / scale is such an array or the parameter vector (not one
    number of it: `theta[0]`, `theta.mean()`, `np.std(theta)`), is an ordered
    fixed-length vector (each element has its own mean) and may be a
    condition. Parameters are not data: in neural likelihood estimation the
    values the targets are simulated from (a parameter vector
    `rng.normal(size=(2,))` fed to the likelihood, or drawn next to the data
    in one simulator function) are proper conditions whatever their shape.
    An image condition on the same grid as an image-valued target is exempt
    whatever the network (the guide concatenates them spatially; BF601 reports
    the network such targets need); so are all conditions of a workflow whose
    inference network is a `DiffusionModel` with an image subnet (`UNet`,
    `UViT`, `ResidualUViT`) when the target shapes are not known statically.

    ## Why is this bad?
    `inference_conditions` are concatenated as one fixed-order vector. N
    exchangeable observations routed there either crash with an obscure
    concatenate error or train silently as a fixed-order vector: the network
    ignores the symmetry of the data, needs far more simulations and cannot
    handle a different N at inference time. Structured data belongs in
    `summary_variables` with a matching summary network (`SetTransformer`,
    `TimeSeriesNetwork`, `ConvolutionalNetwork`). Broadcast scalars such as
    the sample size `N` are fine as conditions.

    ## Example
    ```python
    def prior():
        return {"mu": rng.normal(), "sigma": rng.gamma(2.0, 1.0)}


    def likelihood(mu, sigma):
        return {"x": rng.normal(mu, sigma, size=50)}


    adapter = (
        bf.Adapter()
        .constrain("sigma", lower=0)
        .concatenate(["mu", "sigma"], into="inference_variables")
        .concatenate(["x"], into="inference_conditions")
    )
    workflow = bf.BasicWorkflow(simulator=bf.make_simulator([prior, likelihood]), adapter=adapter)
    ```

    ## Use instead
    ```python
    adapter = (
        bf.Adapter()
        .as_set(["x"])
        .constrain("sigma", lower=0)
        .concatenate(["mu", "sigma"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, likelihood]),
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(),
    )
    ```
    """

    CODE = "BF104"
    NAME = "structured-data-in-inference-conditions"
    SEVERITY = "E"
    MESSAGE = "{keys} {verb} structured data ({why}), yet {verb2} routed to `inference_conditions`"
    FIX_TITLE = ("Route {them} to `summary_variables` with a summary network ({network}); keep "
                 "only fixed-length scalars such as the sample size in `inference_conditions`")

    def check(self, model):
        seen: set[int] = set()
        for wf in model.workflows:
            routes = wf.routes()
            if routes is None or not routes["inference_conditions"]:
                continue
            # image targets: the guide concatenates image conditions with them spatially
            # (BF601 reports the network those need); a condition on the same grid is fine
            grids = {shape[:2] for _, shape in image_targets(model, wf)}
            if not grids and image_diffusion(model, wf):
                continue  # an image network, target shapes unknown: conditions go with them
            as_set: set[str] = set()
            as_ts: set[str] = set()
            adapter = wf.explicit_adapter if wf.adapter_given else None
            if adapter is not None:
                as_set = adapter.keys_of("as_set") or set()
                as_ts = adapter.keys_of("as_time_series") or set()
            outputs = wf.simulator_outputs()
            targets = frozenset(k for k, _ in routes["inference_variables"])
            analyzer = SampleAxis(model, outputs, targets)
            # neural likelihood estimation: the parameters the targets are simulated
            # from are conditions, and parameters are not data whatever their shape
            parameters = simulation_inputs(outputs, targets)
            by_node: dict[int, tuple[cst.CSTNode, list[tuple[str, str, str]]]] = {}
            for key, node in routes["inference_conditions"]:
                if key in as_set:
                    why, net = "it goes through `.as_set`", "`SetTransformer`"
                elif key in as_ts:
                    why, net = "it goes through `.as_time_series`", "`TimeSeriesNetwork`"
                elif outputs is not None and key in outputs:
                    if key in parameters:
                        continue
                    f, expr = outputs[key]
                    if grids:
                        shape = static_shape(model, expr, f)
                        if shape is not None and len(shape) == 3 and shape[:2] in grids:
                            continue
                    why = analyzer.reason(expr, f)
                    if why is None:
                        continue
                    net = ("`SetTransformer` for exchangeable draws, `TimeSeriesNetwork` for "
                           "ordered ones") if "flattened" not in why else (
                        "e.g. `ConvolutionalNetwork` for images, `SetTransformer` for sets")
                else:
                    continue
                entry = by_node.setdefault(id(node), (node, []))
                if all(k != key for k, _, _ in entry[1]):
                    entry[1].append((key, why, net))
            for node, items in by_node.values():
                if id(node) in seen:
                    continue
                seen.add(id(node))
                keys = ", ".join(f"`{k}`" for k, _, _ in items)
                why = "; ".join(f"`{k}`: {w}" for k, w, _ in items) if len(items) > 1 else items[0][1]
                network = items[0][2]
                many = len(items) > 1
                yield self.report(routing_anchor(node), keys=keys, verb="are" if many else "is",
                                  verb2="are" if many else "is", why=why,
                                  them="them" if many else "it", network=network)
