import libcst as cst

from bflint.rule import Rule, first_arg_name
from bflint.semantic.cst_util import walk

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
# calls that collect / store what the loop produced
_COLLECTORS = frozenset({
    "append", "extend", "insert", "add", "put", "appendleft", "save", "savez",
    "savez_compressed", "dump", "to_csv", "to_parquet", "to_pickle", "write", "writerow",
    "writerows", "concatenate", "stack", "vstack", "hstack", "column_stack", "row_stack",
})


def _is_one(model, expr) -> bool:
    for _ in range(3):
        if isinstance(expr, cst.Name):
            v = model.value(expr)
            expr = v.node if v is not None and v.kind == "opaque" else None
    if isinstance(expr, cst.Integer):
        return expr.value == "1"
    if isinstance(expr, (cst.Tuple, cst.List)) and len(expr.elements) == 1:
        inner = expr.elements[0].value
        return isinstance(inner, cst.Integer) and inner.value == "1"
    return False


_PLOT_ROOTS = frozenset({"matplotlib", "seaborn", "plotly"})
_PLOT_METHODS = frozenset({"hist", "plot", "scatter", "hist2d", "hexbin", "boxplot", "violinplot",
                           "histplot", "kdeplot", "pairplot"})


def _shown_names(model) -> frozenset[int]:
    """The names inside the arguments of plotting and ``print`` calls (per file)."""
    out: set[int] = set()
    for ev in model.calls:
        root = ev.qualname.split(".")[0] if ev.qualname else None
        if root in _PLOT_ROOTS or (ev.qualname is None and ev.callee_name == "print") or (
                ev.method in _PLOT_METHODS and ev.bf is None):  # ``ax.hist(...)``
            out.update(id(n) for a in ev.node.args for n in walk(a.value) if isinstance(n, cst.Name))
    return frozenset(out)


def _assignments_by_value(model) -> dict[int, list]:
    """The assignments of the file by the id of their value (per file)."""
    out: dict[int, list] = {}
    for rec in model.assignments:
        out.setdefault(id(rec.value), []).append(rec)
    return out


def _names_by_spelling(model) -> dict[str, list]:
    """Every Name node of the file by its spelling (per file: linear, issue 18)."""
    out: dict[str, list] = {}
    for n in model.nodes(cst.Name):
        out.setdefault(n.value, []).append(n)
    return out


def _only_shown(model, loop) -> bool:
    """The comprehension is bound to names whose every use is plotted or printed
    (``draws = [prior() for _ in range(1000)]; plt.hist([d["mu"] for d in draws])``): a
    prior check, not a data set."""
    if not isinstance(loop, _COMPREHENSIONS):
        return False
    names: set[str] = set()
    targets: set[int] = set()
    for rec in model.analysis(_assignments_by_value).get(id(loop), ()):
        for t in rec.targets:
            if not isinstance(t, cst.Name):
                return False
            names.add(t.value)
            targets.add(id(t))
    by_name = model.analysis(_names_by_spelling)
    uses = []  # the names bound to this comprehension's value (not a later rebinding)
    for name in names:
        for n in by_name.get(name, ()):
            if id(n) in targets:
                continue
            v = model.value(n)
            if v is None or v.node is loop:
                uses.append(n)
    shown = model.analysis(_shown_names)
    return bool(uses) and all(id(n) in shown for n in uses)


class SimulatorInPythonLoop(Rule):
    """## What it does
    Flags data sets built one simulation at a time: the simulator object,
    `simulator.sample(1)` / `workflow.simulate(1)`, or the prior /
    observation functions given to `bf.make_simulator` called inside a
    Python `for` / `while` loop or comprehension whose results are collected.
    Posterior predictive loops over posterior draws and loops inside the
    simulator functions themselves are fine.

    ## Why is this bad?
    `bf.make_simulator` returns a batched simulator: `workflow.simulate(N)`
    draws N simulations in one call and returns the dict of arrays with a
    leading batch axis that the workflow expects. A Python loop is orders of
    magnitude slower and produces a list of dicts (or arrays with a stray
    batch axis of 1) that has to be reassembled by hand.

    ## Example
    ```python
    simulator = bf.make_simulator([prior, observation_model])
    train_data = [simulator.sample(1) for _ in range(10_000)]
    ```

    ## Use instead
    ```python
    simulator = bf.make_simulator([prior, observation_model])
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    train_data = workflow.simulate(10_000)
    val_data = workflow.simulate(300)
    ```
    """

    CODE = "BF201"
    NAME = "simulator-in-python-loop"
    SEVERITY = "E"
    MESSAGE = "`{call}` runs once per iteration of a Python {loop} to build a data set"
    FIX_TITLE = ("Simulate the whole set in one batched call with `workflow.simulate(N)` (or "
                 "`simulator.sample(N)`)")

    def check(self, model):
        sims = model.simulator_functions()
        wrappers: set[int] = set()
        if sims:
            for c in model.calls:
                if (c.function is not None and id(c.function) not in sims
                        and c.local is not None and id(c.local) in sims):
                    wrappers.add(id(c.function))
        done: set[int] = set()
        ppc_cache: dict[int, bool] = {}
        for call in model.calls:
            if not call.loops:
                continue
            shown = self._candidate(model, call, sims, wrappers)
            if shown is None or model.in_simulator_function(call):
                continue
            loop = call.loops[-1]
            if id(loop) in done:
                continue
            if self._is_ppc(model, call, ppc_cache):
                continue
            if not self._collected(model, call, loop) or _only_shown(model, loop):
                continue
            done.add(id(loop))
            kind = "comprehension" if isinstance(loop, _COMPREHENSIONS) else (
                "`while` loop" if isinstance(loop, cst.While) else "`for` loop")
            yield self.report(call.node, call=shown, loop=kind)

    # -- what runs the simulator ---------------------------------------------
    def _candidate(self, model, call, sims, wrappers) -> str | None:
        if call.local is not None and (id(call.local) in sims or id(call.local) in wrappers):
            return f"{call.local.name}(...)"
        if call.bf in ("simulator_sample", "simulate"):
            if _is_one(model, call.argument(0, "batch_shape")):
                recv = first_arg_name(call.node.func.value)
                return f"{recv}.{call.method}(1)"
            return None
        v = model.value(call.node.func)
        if v is not None and v.kind == "simulator":
            return f"{first_arg_name(call.node.func)}()"
        return None

    # -- posterior predictive loops ------------------------------------------
    def _is_ppc(self, model, call, cache) -> bool:
        """Posterior draws reach the simulator call: through its arguments, the
        iterables of its loops, or (innermost loop) what the body computes before it.
        Posterior sampling *after* the simulation (simulate one data set, then fit it:
        a power / SBC loop) does not make a loop a posterior predictive one."""
        key = id(call.node)
        if key not in cache:
            cache[key] = self._touches_samples(model, self._ppc_inputs(call))
        return cache[key]

    @staticmethod
    def _ppc_inputs(call):
        nodes = list(walk(call.node))
        for lp in call.loops:
            if isinstance(lp, _COMPREHENSIONS):
                nodes.extend(walk(lp))  # order of evaluation is not source order
            elif isinstance(lp, cst.For):
                nodes.extend(walk(lp.iter))
            elif isinstance(lp, cst.While):
                nodes.extend(walk(lp.test))
        inner = call.loops[-1]
        if isinstance(inner, (cst.For, cst.While)):
            for node in walk(inner.body):
                if node is call.node:
                    break
                nodes.append(node)
        return nodes

    def _touches_samples(self, model, nodes) -> bool:
        checked: set[str] = set()
        for node in nodes:
            if not isinstance(node, (cst.Name, cst.Attribute)):
                continue
            v = model.value(node)
            if v is None:
                continue
            if v.kind == "samples":
                return True
            if v.kind in ("opaque", "literal", "foreign", "param"):
                name = first_arg_name(node)
                if name in checked:
                    continue
                checked.add(name)
                found = model.origins(node, limit=300)
                if not found.complete or any(o.obj.kind == "samples" for o in found):
                    return True  # (an unfinished walk: stay silent)
        return False

    # -- is the result collected into a data set? ------------------------------
    def _collected(self, model, call, loop) -> bool:
        if isinstance(loop, _COMPREHENSIONS):
            return True
        names: set[str] = set()

        def tainted(expr) -> bool:
            for n in walk(expr):
                if n is call.node or (isinstance(n, cst.Name) and n.value in names):
                    return True
            return False

        body = list(walk(loop.body))
        for _ in range(3):
            before = len(names)
            for n in body:
                if isinstance(n, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                    if n.value is None or not tainted(n.value):
                        continue
                    if isinstance(n, cst.AugAssign):
                        return True
                    targets = [t.target for t in n.targets] if isinstance(n, cst.Assign) else [n.target]
                    for t in targets:
                        for part in walk(t):
                            if isinstance(part, cst.Subscript) and part is t:
                                return True
                            if isinstance(part, cst.Name):
                                names.add(part.value)
                elif isinstance(n, cst.Call):
                    ev = model.call_event(n)
                    name = ev.callee_name if ev is not None else None
                    if (name in _COLLECTORS or (ev is not None and ev.bf)) and any(
                        tainted(a.value) for a in n.args
                    ):
                        return True
                elif isinstance(n, (cst.Yield,)) and n.value is not None and tainted(n.value):
                    return True
            if len(names) == before:
                break
        return False
