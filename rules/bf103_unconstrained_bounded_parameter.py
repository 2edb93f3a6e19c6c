from __future__ import annotations

import libcst as cst

from bflint.analyze.supports import builtin_simulator_draws, output_support, prior_draws
from bflint.rule import Rule


def handled_keys(wf) -> set[str] | None:
    """Keys the adapter constrains or log-transforms (``None`` when unknown;
    empty for the shorthand, which cannot constrain)."""
    if not wf.adapter_given:
        return set()
    adapter = wf.explicit_adapter
    if adapter is None:
        return None
    return adapter.keys_of("constrain", "log", "as_simplex")


class UnconstrainedBoundedParameter(Rule):
    """## What it does
    Flags a parameter that the prior draws from a bounded-support
    distribution (gamma, beta, exponential, uniform, lognormal, half-normal,
    chi-square, Poisson, binomial, Dirichlet, a truncated normal, or a draw
    wrapped in `abs` / `exp` / `softplus` / `np.clip`, through affine maps and
    sums or products of bounded draws) and that is routed to
    `inference_variables` without the adapter ever calling
    `.constrain(<key>, ...)` or `.log(<key>)`. The prior may draw through a
    helper of the same file (`truncated_normal(mean, std, low, high)`), in a
    loop over constant keys, or in the `sample` method of a simulator class;
    the built-in `bf.simulators` benchmarks count with their measured priors.
    The finding is reported at the bounded draw in the prior, and the advice
    gives the bounds when they are known.

    ## Why is this bad?
    The inference network models an unbounded space: without a constraint
    it puts posterior mass outside the support (negative standard
    deviations, probabilities above 1), which distorts calibration and can
    make posterior predictive simulations crash. The naming shorthand of
    `BasicWorkflow` cannot constrain at all.

    ## Example
    ```python
    def prior():
        return {"mu": rng.normal(), "sigma": rng.gamma(2.0, 1.0)}


    def likelihood(mu, sigma):
        return {"x": rng.normal(mu, sigma, size=50)}


    adapter = (
        bf.Adapter()
        .as_set(["x"])
        .concatenate(["mu", "sigma"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, likelihood]),
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(),
    )
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
    ```
    """

    CODE = "BF103"
    NAME = "unconstrained-bounded-parameter"
    SEVERITY = "E"
    MESSAGE = ("`{key}` is drawn from a bounded distribution (`{family}`) and routed to "
               "`inference_variables`, but {where}")
    FIX_TITLE = "{advice}"

    def check(self, model):
        seen: set[tuple[int, str]] = set()
        for wf in [*model.workflows, *model.bound_workflows]:
            outputs = prior_draws(model, wf.simulator)
            builtin = builtin_simulator_draws(model, wf.simulator) if outputs is None else {}
            if outputs is None and not builtin:
                continue
            routes = wf.routes()
            if routes is None:
                continue
            handled = handled_keys(wf)
            if handled is None:
                continue
            routed = {}
            for k, node in routes["inference_variables"]:
                routed.setdefault(k, node)
            for key in routed:
                if key in handled:
                    continue
                if key in builtin:  # a built-in simulator's prior (measured API data)
                    info, site = builtin[key]
                else:
                    found = output_support(model, outputs, key) if outputs is not None else None
                    if found is None:
                        continue
                    info, site = found  # ``theta[0]``: the line that draws ``theta``
                if (id(site), key) in seen:
                    continue
                seen.add((id(site), key))
                call = f'`.constrain("{key}", {info.constrain_args()})`'
                if info.positive:
                    call += f' (or `.log("{key}")`)'
                elif not info.known:
                    call += " with the bounds of its support"
                if wf.adapter_given:
                    where = "the adapter never constrains it"
                    advice = f"add {call} to the adapter"
                else:
                    where = "the `BasicWorkflow` shorthand cannot constrain parameters"
                    advice = f"use an explicit `bf.Adapter()` with {call} and pass it as `adapter=`"
                # the draw may be in another module: then say it at the routing call
                # (``.concatenate``), or at the workflow when the adapter is elsewhere too
                route = routed[key]
                if isinstance(route, cst.Call) and isinstance(route.func, cst.Attribute):
                    route = route.func.attr
                yield self.report(site, key=key, family=info.family, where=where, advice=advice,
                                  anchor=(route, wf.site, wf.node) if wf.site else (route, wf.node))
