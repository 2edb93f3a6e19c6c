from bflint.analyze.workflows import summary_network_given
from bflint.rule import Rule


class SummaryNetworkWithoutSummaryVariables(Rule):
    """## What it does
    Flags a `BasicWorkflow(...)` that gets a `summary_network=` while its
    adapter (or shorthand) routes nothing to `summary_variables`.

    ## Why is this bad?
    BayesFlow 2.1 accepts the workflow and then crashes at the first fit
    with `KeyError: 'summary_variables'`. Usually the observations were
    routed to `inference_conditions` by mistake, or the routing was
    forgotten.

    ## Example
    ```python
    adapter = bf.Adapter().concatenate(["theta"], into="inference_variables").concatenate(["x"], into="inference_conditions")
    workflow = bf.BasicWorkflow(
        simulator=simulator,
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(),
    )
    ```

    ## Use instead
    ```python
    adapter = (
        bf.Adapter()
        .as_set(["x"])
        .concatenate(["theta"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
    ```
    """

    CODE = "BF109"
    NAME = "summary-network-without-summary-variables"
    SEVERITY = "E"
    MESSAGE = ("`BasicWorkflow(...)` gets `summary_network=` but nothing is routed to "
               "`summary_variables` (the first fit crashes with `KeyError: "
               "'summary_variables'`)")
    FIX_TITLE = "{advice}"

    def check(self, model):
        for wf in model.workflows:
            if not summary_network_given(wf):
                continue
            slots = wf.routed_slots()
            if slots is None or "summary_variables" in slots or "inference_variables" not in slots:
                continue
            routes = wf.routes()
            conds = list(dict.fromkeys(k for k, _ in routes["inference_conditions"])) if routes else []
            if conds:
                shown = ", ".join(f"`{k}`" for k in conds)
                advice = (f"route the observations ({shown}, now in `inference_conditions`) to "
                          "`summary_variables`, or drop the summary network")
            elif wf.adapter_given:
                advice = ("route the observations to `summary_variables` in the adapter, or drop "
                          "the summary network")
            else:
                advice = ("name the observations in `summary_variables=` (better: an explicit "
                          "adapter), or drop the summary network")
            yield self.report(wf.node, advice=advice)
