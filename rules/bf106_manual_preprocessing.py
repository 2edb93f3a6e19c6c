from __future__ import annotations

import libcst as cst

from bflint.analyze.simulations import (
    SAVERS,
    USE_KINDS,
    SimulationFlow,
    aug_statement,
    code_text,
)
from bflint.rule import Rule
from bflint.semantic.cst_util import string_value, walk


class ManualPreprocessing(Rule):
    """## What it does
    Flags simulated data or parameters that are standardised or transformed
    by hand (`(x - x.mean()) / x.std()`, `np.log(theta)`, division by a
    computed standard deviation, a scikit-learn scaler) between simulation
    (`workflow.simulate`, `simulator.sample`) and the workflow's training or
    diagnostics calls; also statistics computed in one statement and applied in
    another, statistics loaded from a file, a helper that standardises, data
    loaded from a bank that then reaches `fit_*` / the diagnostics, and
    simulations transformed as they are saved as a training bank
    (`np.savez(..., theta=np.log(sims["theta"]))`). The same arithmetic on real
    observations (plots, `sample(conditions=...)`) or inside the simulator is
    not reported.

    ## Why is this bad?
    A transformation applied by hand to the training data is not applied by
    the workflow to validation, test or real data, nor undone on the
    posterior samples: the network is trained on one scale and queried on
    another, and the returned draws are on the wrong scale. The adapter
    (`.log`, `.constrain`, `.standardize`) and `standardize="all"` apply the
    same transformation everywhere and invert it for the samples.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    sims = workflow.simulate(10_000)
    sims["x"] = (sims["x"] - sims["x"].mean()) / sims["x"].std()
    sims["sigma"] = np.log(sims["sigma"])
    history = workflow.fit_offline(data=sims, validation_data=val)
    ```

    ## Use instead
    ```python
    adapter = bf.Adapter().log("sigma").concatenate(["sigma"], into="inference_variables")
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter, standardize="all")
    history = workflow.fit_offline(data=workflow.simulate(10_000), validation_data=val)
    ```
    """

    CODE = "BF106"
    NAME = "manual-preprocessing"
    SEVERITY = "W"
    MESSAGE = "{what} applies a hand-made {how} to simulated data before it reaches the workflow"
    FIX_TITLE = ("Remove it and let BayesFlow do it ({advice}), so that validation, test and "
                 "real data get the same treatment and the samples come back on the original "
                 "scale")

    def check(self, model):
        flow = model.analysis(SimulationFlow)
        reported: set[int] = set()
        if flow.uses:
            yield from self._simulated(model, flow, reported)
        yield from self._banks(model, flow, reported)
        yield from self._reaching(model, flow, reported)

    def _simulated(self, model, flow, reported):
        """Simulations (``workflow.simulate`` / ``simulator.sample`` results and dicts
        derived from them) transformed by hand before they reach a BayesFlow call."""

        def advise(how: str) -> str:
            if "standardisation" in how or "centering" in how or "division" in how:
                return '`standardize="all"` in `BasicWorkflow(...)`'
            return "`.log(key)` / `.constrain(key, lower=...)` in the adapter"

        # sims["x"] = transform(sims["x"])
        for rec in model.assignments:
            for t in rec.targets:
                if not isinstance(t, cst.Subscript):
                    continue
                k = flow.source(t.value)
                if k is None:
                    continue
                how = flow.transform(rec.value)
                if how is None or not flow.used_after(k, rec.index):
                    continue
                if id(rec.value) not in reported:
                    reported.add(id(rec.value))
                    yield self.report(rec.value, what=f"`{code_text(t)} = ...`", how=how,
                                      advice=advise(how))
        # sims["x"] -= sims["x"].mean(); sims["x"] /= sims["x"].std()
        for rec in model.aug_assignments:
            t = rec.targets[0]
            aug = aug_statement(model, t)
            if aug is None or not isinstance(t, cst.Subscript):
                continue
            k = flow.source(t.value)
            if k is None or not isinstance(aug.operator, (cst.SubtractAssign, cst.DivideAssign)):
                continue
            if not flow.is_stat(aug.value) or not flow.used_after(k, rec.index):
                continue
            how = ("centering `x -= mean`" if isinstance(aug.operator, cst.SubtractAssign)
                   else "scaling `x /= std`")
            if id(aug) not in reported:
                reported.add(id(aug))
                op = "-=" if isinstance(aug.operator, cst.SubtractAssign) else "/="
                yield self.report(aug, what=f"`{code_text(t)} {op} ...`", how=how,
                                  advice=advise("standardisation"))
        # {k: (v - v.mean()) / v.std() for k, v in sims.items()}
        for rec in model.assignments:
            comp = rec.value
            if not isinstance(comp, cst.DictComp) or ("node", id(comp)) not in flow.parent:
                continue
            target = comp.for_in.target
            names = [n.value for n in walk(target) if isinstance(n, cst.Name)]
            loopvars = frozenset(names[-1:]) if isinstance(target, cst.Tuple) else frozenset()
            how = flow.transform(comp.value, loopvars)
            if how is None or not flow.used_after(("node", id(comp)), rec.index):
                continue
            if id(comp.value) not in reported:
                reported.add(id(comp.value))
                yield self.report(comp.value, what="The dict comprehension over simulations",
                                  how=how, advice=advise(how))
        # fit_offline(data={"x": (sims["x"] - m) / s, ...})
        for call in model.bf_calls(*USE_KINDS):
            for arg in call.node.args:
                d = arg.value
                if isinstance(d, cst.Name):
                    obj = model.value(d)
                    d = obj.node if obj is not None and obj.kind == "literal" else d
                if not isinstance(d, cst.Dict):
                    continue
                for el in d.elements:
                    if not isinstance(el, cst.DictElement):
                        continue
                    value = el.value
                    if isinstance(value, cst.Name):
                        obj = model.value(value)
                        if obj is not None and obj.kind in ("opaque", "foreign") and \
                                obj.node is not value:
                            value = obj.node
                    how = flow.transform(value)
                    if how is None or id(value) in reported:
                        continue
                    reported.add(id(value))
                    key = string_value(el.key)
                    where = f"the dict passed to `{call.bf}(...)`"
                    what = f'`"{key}"` in {where}' if key else f"A value in {where}"
                    yield self.report(value, what=what, how=how, advice=advise(how))

    def _banks(self, model, flow, reported):
        """``np.savez("bank.npz", theta=np.log(sims["theta"]))``: simulations transformed
        by hand as they are saved as a training bank."""
        for call in model.calls:
            if call.qualname not in SAVERS or model.in_simulator_function(call):
                continue
            for arg in call.node.args:
                values = [arg.value]
                if isinstance(arg.value, cst.Dict):
                    values = [el.value for el in arg.value.elements
                              if isinstance(el, cst.DictElement)]
                for value in values:
                    how = flow.transform(value)
                    if how is None or id(value) in reported:
                        continue
                    reported.add(id(value))
                    name = call.qualname.rsplit(".", 1)[-1]
                    yield self.report(value, what=f"The data saved with `{name}(...)`", how=how,
                                      advice=_advise(how))

    def _reaching(self, model, flow, reported):
        """Standardisation (computed or loaded statistics, a scikit-learn scaler, in a
        helper or not) of whatever data then reaches a training or diagnostics call,
        also data loaded from a bank rather than simulated here."""
        reaching = flow.reaching_training()
        if not reaching:
            return
        inside = flow.simulator_nodes()
        for node in model.nodes(cst.BinaryOperation) + model.nodes(cst.Call):
            if id(node) not in reaching or id(node) in inside or id(node) in reported:
                continue
            how = flow.standardisation(node)
            if how is None:
                continue
            if any(id(n) in reported for n in walk(node)):
                continue
            reported.add(id(node))
            yield self.report(node, what="This expression", how=how, advice=_advise(how))


def _advise(how: str) -> str:
    if "standardisation" in how or "centering" in how or "division" in how or "scikit" in how:
        return '`standardize="all"` in `BasicWorkflow(...)`'
    return "`.log(key)` / `.constrain(key, lower=...)` in the adapter"
