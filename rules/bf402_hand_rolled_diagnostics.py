import libcst as cst

from bflint.analyze.draws import random_draw
from bflint.analyze.truth import true_parameters
from bflint.rule import Rule, first_arg_name
from bflint.semantic.cst_util import walk
from bflint.semantic.values import Obj, Origin

_ORDER = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)
_VALUE_STATEMENTS = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Return)


class HandRolledDiagnostics(Rule):
    """## What it does
    Flags coverage, calibration (SBC ranks), bias, RMSE or contraction
    computed by hand from posterior draws (`workflow.sample(...)`) and the
    true parameters of simulated test data (`workflow.simulate(...)`, or a
    `simulate` / `sample_prior` function of the project module that builds the
    workflow's simulator, e.g. `sim.simulate(...)` with `simulator=sim.make_simulator()`):
    interval or quantile comparisons against the truth
    (`mean((lo <= theta) & (theta <= hi))`), rank counting
    (`sum(draws < theta)`), errors of posterior means
    (`sqrt(mean((post_mean - theta) ** 2))`), z-scores and variance ratios.

    ## Why is this bad?
    Hand-rolled diagnostics are easy to get subtly wrong (the wrong sample
    axis, a missing broadcast, quantiles of the wrong level, variances of
    the wrong axis) and are not comparable with the house thresholds.
    `compute_default_diagnostics` computes recovery (NRMSE), calibration
    (ECE, log-gamma) and contraction consistently for every parameter, and
    `check_diagnostics` rates them.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    test_data = workflow.simulate(300)
    samples = workflow.sample(conditions=test_data, num_samples=1000)
    lo, hi = np.quantile(samples["mu"], [0.05, 0.95], axis=1)
    coverage = np.mean((lo <= test_data["mu"]) & (test_data["mu"] <= hi))
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    test_data = workflow.simulate(300)
    metrics = workflow.compute_default_diagnostics(test_data=test_data)
    figures = workflow.plot_default_diagnostics(test_data=test_data)
    ```
    """

    CODE = "BF402"
    NAME = "hand-rolled-diagnostics"
    SEVERITY = "E"
    MESSAGE = ("{stat} computed by hand from posterior draws (`{samples}`) and the true "
               "parameters (`{truth}`)")
    FIX_TITLE = ("Use `{workflow}.compute_default_diagnostics(test_data={test})` (and "
                 "`plot_default_diagnostics`) instead")

    def check(self, model):
        if not model.bf_calls("sample"):
            return
        self.truth_calls = self._project_simulations(model)
        self.declared = model.analysis(true_parameters)
        if not model.bf_calls("simulate", "simulator_sample") and not self.truth_calls \
                and not self.declared:
            return
        self.model = model
        self.cache: dict[int, tuple] = {}
        self.observations = self._observation_keys(model)
        offending: dict[int, tuple] = {}
        for node in model.nodes(cst.Comparison):
            found = self._comparison(node)
            if found:
                offending[id(node)] = found
        for node in model.nodes(cst.BinaryOperation):
            if isinstance(node.operator, (cst.Subtract, cst.Divide)):
                found = self._pair(node.left, node.right, node.operator)
                if found:
                    offending[id(node)] = found
        if not offending:
            return
        # one finding per statement, at its value expression
        reported: set[int] = set()
        for line in model.nodes(cst.SimpleStatementLine):
            for small in line.body:
                if not isinstance(small, _VALUE_STATEMENTS) or small.value is None:
                    continue
                # one walk: the first offending node gives the finding, the
                # statement's other offending nodes are marked as handled
                first = None
                for n in walk(small.value):
                    if id(n) in offending:
                        reported.add(id(n))
                        if first is None:
                            first = n
                if first is not None:
                    yield self._report(small.value, offending[id(first)])
        for node in model.nodes(cst.Comparison) + model.nodes(cst.BinaryOperation):
            if id(node) in offending and id(node) not in reported:
                reported.add(id(node))
                yield self._report(node, offending[id(node)])

    def _report(self, node, found):
        stat, samples, truth = found
        workflow = "workflow"
        if truth.obj.parent is not None and isinstance(truth.obj.node, cst.Call):
            func = truth.obj.node.func
            if isinstance(func, cst.Attribute) and truth.obj.parent.kind == "workflow":
                workflow = first_arg_name(func.value)
        if workflow == "...":
            workflow = "workflow"
        test = first_arg_name(truth.node)
        shown = test
        if isinstance(truth.node, cst.Call) and shown == "...":  # a project simulation call
            shown = f"{first_arg_name(truth.node.func)}(...)"
        drawn = first_arg_name(samples.node)
        if drawn == "..." and isinstance(samples.node, cst.Call):  # ``wf.sample(...)["theta"]``
            drawn = f"{first_arg_name(samples.node.func)}(...)"
        return self.report(node, stat=stat, samples=drawn,
                           truth=shown, workflow=workflow,
                           test=test if test != "..." else "test_data")

    # -- evidence --------------------------------------------------------------
    def _observation_keys(self, model) -> set[str]:
        """Keys the simulators return from their observation functions (not
        parameters)."""
        obs: set[str] = set()
        params: set[str] = set()
        for sim in model.simulators:
            for i, f in enumerate(sim.functions):
                if f is None:
                    continue
                for d in f.returned_dicts():
                    (params if i == 0 else obs).update(d)
        for wf in model.workflows:
            routes = wf.routes()
            if routes:
                params.update(k for k, _ in routes.get("inference_variables", ()))
        return obs - params

    @staticmethod
    def _project_simulations(model) -> set[int]:
        """Calls that simulate test data with the project module the workflow's simulator
        comes from (``simulator=sim.make_simulator()`` ... ``sim.simulate(theta)``,
        ``sim.sample_prior(1)``): their results are simulated truth."""
        modules = set()
        for wf in model.workflows:
            arg = wf.arg("simulator")
            if arg is None:
                continue
            expr = arg.value
            if isinstance(expr, cst.Name):
                v = model.value(expr)
                expr = v.node if v is not None else expr
            ev = model.call_event(expr) if isinstance(expr, cst.Call) else None
            q = ev.qualname if ev is not None else None
            if q and "." in q and not q.startswith(("bayesflow", "functools", "numpy")):
                modules.add(q.rsplit(".", 1)[0])
        out: set[int] = set()
        if not modules:
            return out
        for ev in model.calls:
            q = ev.qualname
            if not q or "." not in q:
                continue
            module, _, name = q.rpartition(".")
            name = name.lower()
            if module in modules and "simulator" not in name and (
                    "simulat" in name or "prior" in name):
                out.add(id(ev.node))
        return out

    def _stop(self, ev) -> bool:
        # replicated data (the simulator, random draws) is not a posterior estimate
        if id(ev.node) in self.truth_calls:
            self._reached.append(ev)
            return True
        return self.model.calls_simulator(ev) or random_draw(ev) is not None

    def _declared(self, obj) -> bool:
        return id(obj) in self.declared

    def _sides(self, expr):
        key = id(expr)
        if key not in self.cache:
            samples = truth = None
            self._reached = []
            found = self.model.origins(expr, stop=self._stop, limit=250, mark=self._declared)
            if self._reached:
                ev = self._reached[0]
                truth = Origin(Obj("sims", ev.node), ev.node, None)
            for o in found:
                if id(o.obj) in self.declared:
                    truth = truth or Origin(Obj("sims", o.node), o.node, None)
                elif o.obj.kind == "samples":
                    samples = samples or o
                elif o.obj.kind == "sims" and (o.key is None or o.key not in self.observations):
                    truth = truth or o
            if not found.complete:
                # an unfinished walk may have missed the other side: claim both
                samples, truth = samples or True, truth or True
            self.cache[key] = (samples, truth)
        return self.cache[key]

    def _pair(self, left, right, op):
        ls, lt = self._sides(left)
        rs, rt = self._sides(right)
        if ls and not lt and rt and not rs:
            samples, truth = ls, rt
        elif rs and not rt and lt and not ls:
            samples, truth = rs, lt
        else:
            return None
        if isinstance(op, _ORDER):
            stat = "Coverage / calibration (interval or rank comparison against the truth)"
        elif isinstance(op, cst.Subtract):
            stat = "Bias / RMSE / z-score (posterior estimate minus the truth)"
        else:
            stat = "Contraction / normalised error (posterior over prior spread)"
        return stat, samples, truth

    def _comparison(self, node: cst.Comparison):
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, _ORDER):
                found = self._pair(left, target.comparator, target.operator)
                if found:
                    return found
            left = target.comparator
        return None
