from __future__ import annotations

import libcst as cst

from bflint.analyze.simulations import USE_KINDS, SimulationFlow, aug_statement, code_text
from bflint.rule import Rule
from bflint.semantic.cst_util import string_value, walk


class ManualPreprocessing(Rule):
    """## What it does
    Flags simulated data or parameters that are standardised or transformed
    by hand (`(x - x.mean()) / x.std()`, `np.log(theta)`, division by a
    computed standard deviation) between simulation (`workflow.simulate`,
    `simulator.sample`) and the workflow's training or diagnostics calls.

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
        if not flow.uses:
            return
        reported: set[int] = set()

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
