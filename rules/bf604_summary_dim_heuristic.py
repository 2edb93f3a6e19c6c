from __future__ import annotations

from bflint import bayesflow_api
from bflint.analyze.constants import static_int
from bflint.analyze.networks import (
    bound_args,
    short,
    workflow_network,
)
from bflint.analyze.shapes import shape_size, static_shape
from bflint.rule import Rule


def inference_parameters(model, wf) -> list[tuple[str, int]] | None:
    """[(key, number of values)] routed into inference_variables, when every size is known."""
    routes = wf.routes()
    if not routes or not routes["inference_variables"]:
        return None
    outputs = wf.simulator_outputs()
    if not outputs:
        return None
    out: dict[str, int] = {}
    for key, _ in routes["inference_variables"]:
        if key in out:
            continue
        if key not in outputs:
            return None
        function, expr = outputs[key]
        size = shape_size(static_shape(model, expr, function))
        if size is None or size < 1:
            return None
        out[key] = size
    return list(out.items())


class SummaryDimHeuristic(Rule):
    """## What it does
    Flags a summary network whose `summary_dim` is below the number of inference
    parameters or above four times it, when that number is known statically (the sizes of
    the values the prior returns, scalars counting 1 and `size=k` counting k, and the
    adapter's routing into `inference_variables`).

    ## Why is this bad?
    The guide's heuristic is to start with `summary_dim` at twice the number of parameters.
    Fewer summary dimensions than parameters is an information bottleneck: the learned
    summaries cannot be sufficient for all parameters. Far more than needed makes the
    inference network's conditioning harder to learn for no gain. An omitted `summary_dim`
    (BayesFlow's default, 16) is only reported when it is below the number of parameters:
    the default being generous for a small model is not worth a finding.

    ## Example
    ```python
    def prior():
        return {"mu": rng.normal(), "sigma": rng.gamma(2.0), "beta": rng.normal(size=3)}


    def likelihood(mu, sigma, beta):
        return {"x": rng.normal(mu, sigma, size=50)}


    adapter = (
        bf.Adapter()
        .as_set(["x"])
        .concatenate(["mu", "sigma", "beta"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, likelihood]),
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(summary_dim=2),  # 5 parameters
    )
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, likelihood]),
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(summary_dim=10),  # 2 x 5 parameters
    )
    ```
    """

    CODE = "BF604"
    NAME = "summary-dim-heuristic"
    SEVERITY = "I"
    MESSAGE = "{setting} of `{network}` is {relation} the {n} inference parameters ({params})"
    FIX_TITLE = "Start with `summary_dim={suggest}` (2x the number of parameters)"

    def check(self, model):
        for wf in model.workflows:
            ref = workflow_network(model, wf, "summary_network")
            if ref.kind not in ("call", "class", "string"):
                continue
            found = self.summary_dim(model, ref)
            if found is None:
                continue
            dim, given, network = found
            params = inference_parameters(model, wf)
            if not params:
                continue
            n = sum(size for _, size in params)
            if dim < n:
                relation = "below"
            elif dim > 4 * n and given:
                relation = "more than four times"
            else:
                continue
            setting = f"`summary_dim={dim}`" if given else f"The default `summary_dim={dim}`"
            shown = ", ".join(f"`{k}`" if size == 1 else f"`{k}` ({size} values)"
                              for k, size in params)
            yield self.report(ref.node, setting=setting, network=network, relation=relation,
                              n=n, params=shown, suggest=2 * n)

    @staticmethod
    def summary_dim(model, ref) -> tuple[int, bool, str] | None:
        """(summary_dim, given explicitly, network name) or None when unknown."""
        if ref.kind == "string":
            name = (ref.string or "").lower()
            if not bayesflow_api.is_string_network_name("summary", name):
                return None
            qualname = None
            for q in bayesflow_api.api_data()["network_defaults"]:
                if bayesflow_api.network_role(q) == "summary" and _snake(short(q)) == name:
                    qualname = q
            if qualname is None:
                return None
            default = bayesflow_api.network_defaults(qualname)["params"].get("summary_dim")
            return (default, False, short(qualname)) if isinstance(default, int) else None
        qualname = ref.qualname
        entry = bayesflow_api.network_defaults(qualname) if qualname else None
        if entry is None or entry["role"] != "summary" or "summary_dim" not in entry["params"]:
            return None
        default = entry["params"]["summary_dim"]
        if ref.kind == "class":
            return (default, False, short(qualname)) if isinstance(default, int) else None
        args = bound_args(ref.event, qualname)
        if args is None:
            return None
        expr = args.get("summary_dim")
        if expr is None:
            return (default, False, short(qualname)) if isinstance(default, int) else None
        dim = static_int(model, expr)
        return None if dim is None else (dim, True, short(qualname))


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
