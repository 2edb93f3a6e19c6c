from __future__ import annotations

from bflint import bayesflow_api
from bflint.analyze.networks import custom_network, short, workflow_network
from bflint.rule import Rule

SET_TRANSFORMER = "bayesflow.networks.SetTransformer"
DEEP_SET = "bayesflow.networks.DeepSet"
# summary networks that may hold a SetTransformer inside (one backbone per modality)
CONTAINERS = frozenset({"bayesflow.networks.FusionNetwork"})
STRING_NAMES = {"set_transformer": SET_TRANSFORMER, "deep_set": DEEP_SET}


def _is_set_transformer(qualname: str) -> bool:
    """BayesFlow's SetTransformer, or a project class named after it (``MySetTransformer``)."""
    return qualname == SET_TRANSFORMER or "settransformer" in qualname.rsplit(".", 1)[-1].lower()


class SetDataWithoutSetTransformer(Rule):
    """## What it does
    Flags a workflow whose adapter marks data as a set (`.as_set(...)`) and routes it to
    `summary_variables`, while the summary network is not a `SetTransformer` (a `DeepSet`
    is reported as advice, severity I).

    ## Why is this bad?
    Exchangeable observations (i.i.d. draws, trials, repeated measurements) need a
    permutation-invariant summary network that learns interactions between the set
    members. The house default is `bf.networks.SetTransformer`; `DeepSet` is a weaker
    baseline, and sequence or image networks (`TimeSeriesNetwork`,
    `ConvolutionalNetwork`, ...) treat the arbitrary order of the set as meaningful.

    ## Example
    ```python
    adapter = bf.Adapter().as_set(["x"]).concatenate(["x"], into="summary_variables")
    workflow = bf.BasicWorkflow(
        adapter=adapter, summary_network=bf.networks.TimeSeriesNetwork(summary_dim=4)
    )
    ```

    ## Use instead
    ```python
    adapter = bf.Adapter().as_set(["x"]).concatenate(["x"], into="summary_variables")
    workflow = bf.BasicWorkflow(
        adapter=adapter, summary_network=bf.networks.SetTransformer(summary_dim=4)
    )
    ```
    """

    CODE = "BF602"
    NAME = "set-data-without-set-transformer"
    SEVERITY = "W"
    MESSAGE = ("{keys} {verb} set data (`.as_set`) routed to `summary_variables` but the "
               "summary network is {network}")
    FIX_TITLE = ("Use `bf.networks.SetTransformer(...)`, the house default for exchangeable "
                 "data{extra}")

    def check(self, model):
        for wf in model.workflows:
            adapter = wf.explicit_adapter
            if adapter is None or not adapter.calls("as_set"):
                continue
            set_keys = adapter.keys_of("as_set")
            routes = wf.routes()
            if not set_keys or not routes:
                continue
            keys = list(dict.fromkeys(k for k, _ in routes["summary_variables"] if k in set_keys))
            if not keys:
                continue
            ref = workflow_network(model, wf, "summary_network")
            qualname = None
            if ref.kind == "string":
                name = ref.string.lower() if ref.string else ""
                if not bayesflow_api.is_string_network_name("summary", name):
                    continue  # an invalid name is BF903's business
                qualname = STRING_NAMES.get(name, f"string:{name}")
                shown = f'`"{ref.string}"`'
            elif ref.kind in ("call", "class") and ref.qualname:
                qualname = ref.qualname
                if bayesflow_api.network_role(qualname) != "summary" or qualname in CONTAINERS:
                    continue
                shown = f"`{short(qualname)}`"
            else:
                arg = wf.arg("summary_network")
                custom = custom_network(model, arg.value, _is_set_transformer) if arg else None
                if custom is None:
                    continue  # missing / None (BF105), a set transformer of its own, unknown
                shown_keys = ", ".join(f"`{k}`" for k in keys)
                yield self.report(custom[1], keys=shown_keys, verb="are" if len(keys) > 1 else "is",
                                  network=f"the project's own `{custom[0]}`",
                                  extra=" (or make sure the custom network is permutation-invariant)")
                continue
            if qualname == SET_TRANSFORMER:
                continue
            shown_keys = ", ".join(f"`{k}`" for k in keys)
            verb = "are" if len(keys) > 1 else "is"
            if qualname == DEEP_SET:
                yield self.report(ref.node, severity="I", keys=shown_keys, verb=verb, network=shown,
                                  extra=" (`DeepSet` is a simpler, discouraged baseline)")
            else:
                yield self.report(ref.node, keys=shown_keys, verb=verb, network=shown, extra="")
