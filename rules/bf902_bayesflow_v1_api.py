from __future__ import annotations

from bflint import bayesflow_api
from bflint.analyze.names import (
    bayesflow_callable,
    legacy_keyword,
    legacy_method,
    legacy_name,
    legacy_uses,
    unknown_names,
)
from bflint.rule import Rule
from bflint.semantic.cst_util import display_name


class BayesflowV1Api(Rule):
    """## What it does
    Flags BayesFlow 1.x API in a script: modules (`bf.amortizers`, `bf.trainers`,
    `bf.simulation`, ...), classes (`Trainer`, `AmortizedPosterior`, `GenerativeModel`,
    `InvertibleNetwork`, ...), 1.x diagnostics (`bf.diagnostics.plot_recovery`,
    `plot_sbc_ecdf`, `plot_losses`, ...), 1.x keywords of BayesFlow calls (`configurator=`,
    `generative_model=`, ...) and 1.x methods (`trainer.train_online(...)`). Every place
    that needs a change is reported, not only the import: each call, subclass and
    attribute use of an imported 1.x name, each 1.x keyword of a 1.x class (also passed
    through `super().__init__(...)` in a subclass of a 1.x class) and 1.x methods called
    on `super()` there. The message names the 2.x replacement. A project's own class
    that merely shares a 1.x name (its own `Prior`) is not BayesFlow and stays silent.

    ## Why is this bad?
    BayesFlow 2.x is a rewrite on Keras 3: the 1.x names are gone, so the script fails
    with `ImportError` / `AttributeError`, and 1.x keywords passed to 2.x calls are
    rejected or silently ignored. Only names that resolve to `bayesflow` are checked; a
    name that 2.x also has somewhere (`Simulator`, the 2.x base class in
    `bf.simulators`) counts only under its 1.x module (`bf.simulation.Simulator`), and
    imports under `if TYPE_CHECKING:` are skipped (they never run).

    ## Example
    ```python
    import bayesflow as bf

    model = bf.simulation.GenerativeModel(prior, simulator)
    amortizer = bf.amortizers.AmortizedPosterior(bf.networks.InvertibleNetwork(num_params=2))
    trainer = bf.trainers.Trainer(amortizer=amortizer, generative_model=model)
    history = trainer.train_online(epochs=10, iterations_per_epoch=500, batch_size=32)
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, likelihood]),
        adapter=adapter,
        inference_network=bf.networks.CouplingFlow(),
    )
    history = workflow.fit_offline(data, epochs=100, validation_data=validation_data)
    ```
    """

    CODE = "BF902"
    NAME = "bayesflow-v1-api"
    SEVERITY = "E"
    MESSAGE = "{what} is BayesFlow 1.x API that BayesFlow {target} no longer has"
    FIX_TITLE = "Use {replacement}"

    def check(self, model):
        if not model.uses_bayesflow:
            return
        done: set[int] = set()
        for finding, node in self._direct(model):
            done.add(id(node))
            yield finding
        # every other place that needs a change: uses of an imported 1.x name, 1.x
        # keywords of 1.x classes (also through ``super().__init__``), ``super()`` methods
        for use in legacy_uses(model):
            if id(use.node) not in done:
                done.add(id(use.node))
                yield self.report(use.node, what=use.what, replacement=use.replacement,
                                  target=bayesflow_api.target())

    def _direct(self, model):
        for unknown in unknown_names(model):
            if unknown.not_attribute:
                continue
            replacement = legacy_name(unknown)
            if replacement is None:
                continue
            what = f"`{unknown.text}`"
            if unknown.last != unknown.component and unknown.last[:1].isupper():
                what = f"`{unknown.text}` (`{unknown.last}`)"
            yield self.report(unknown.node, what=what, replacement=replacement,
                              target=bayesflow_api.target()), unknown.node
        for call in model.calls:
            replacement = legacy_method(model, call)
            if replacement is not None:
                shown = display_name(call.node.func.value) or "..."
                yield self.report(call.node, what=f"`{shown}.{call.method}(...)`",
                                  replacement=replacement, target=bayesflow_api.target()), call.node
                continue
            qualname = bayesflow_callable(model, call)
            if qualname is None or bayesflow_api.signature(qualname) is None:
                continue
            for arg in call.node.args:
                if arg.keyword is None:
                    continue
                replacement = legacy_keyword(qualname, arg.keyword.value)
                if replacement is not None:
                    yield (self.report(arg, what=f"`{arg.keyword.value}=`", replacement=replacement,
                                       target=bayesflow_api.target()), arg)
