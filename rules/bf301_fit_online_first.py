import libcst as cst

from bflint.rule import Rule, first_arg_name

_OFFLINE = ("fit_offline", "fit_disk")
# a network restored from disk has been trained before: online training refines it
_RESTORE_CALLS = frozenset({"load_weights", "load_model", "restore"})


def _is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("False", "None")


def _paths(model, event, depth: int = 4, seen: frozenset = frozenset()) -> list[tuple[int, ...]]:
    """When a call runs, as source-order paths: a call inside a function of
    this file runs at each call site of that function (``main()`` at the
    bottom of the script), so its path is the site's path plus its own
    index. Compared lexicographically."""
    f = event.function
    if f is None or depth == 0 or id(f) in seen:
        return [(event.index,)]
    sites = model.call_sites(f)
    if not sites:
        return [(event.index,)]
    out = []
    for site in sites:
        for p in _paths(model, site, depth - 1, seen | {id(f)}):
            out.append(p + (event.index,))
    return out


class FitOnlineFirst(Rule):
    """## What it does
    Flags a `workflow.fit_online(...)` call when no `fit_offline(...)` /
    `fit_disk(...)` call runs before it in the script.

    Order is source order, following calls of the script's own functions
    (a `fit_offline` inside `train()` runs where `train()` is called). A
    script that restores trained weights first (`load_weights`,
    `keras.saving.load_model`, `BasicWorkflow(restore=True)`) is refining
    and is not flagged.

    ## Why is this bad?
    Online training simulates fresh data for every batch: each iteration of
    the model is slow, and problems in the simulator, the adapter or the
    networks surface only after a long run. The first pass should train
    offline on a pre-simulated pilot budget (10k simulations for fast
    simulators, 3k-5k for slow ones) so that diagnostics come back quickly;
    online training is a refinement step once offline diagnostics look
    healthy.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter)
    history = workflow.fit_online(epochs=100, validation_data=300)
    ```

    ## Use instead
    ```python
    train_data = workflow.simulate(10_000)
    val_data = workflow.simulate(300)
    history = workflow.fit_offline(
        data=train_data, epochs=100, batch_size=32, validation_data=val_data
    )
    # later, as a refinement once the diagnostics look healthy:
    refined = workflow.fit_online(epochs=20, validation_data=300)
    ```
    """

    CODE = "BF301"
    NAME = "fit-online-first"
    SEVERITY = "W"
    MESSAGE = "`{receiver}.fit_online(...)` is the first training pass"
    FIX_TITLE = ("Train first with `{receiver}.fit_offline(data=..., validation_data=...)` on a "
                 "pre-simulated pilot budget (e.g. `{receiver}.simulate(10_000)`) and use "
                 "`fit_online` only to refine")

    def check(self, model):
        online = model.bf_calls("fit_online")
        if not online:
            return
        offline_paths = [p for c in model.bf_calls(*_OFFLINE) for p in _paths(model, c)]
        first_offline = min(offline_paths) if offline_paths else None
        restores = [c for c in model.calls if c.callee_name in _RESTORE_CALLS]
        restore_paths = [p for c in restores for p in _paths(model, c)]
        first_restore = min(restore_paths) if restore_paths else None
        for call in online:
            last = max(_paths(model, call))
            if first_offline is not None and first_offline < last:
                continue
            if first_restore is not None and first_restore < last:
                continue
            wf = model.workflow_of(call.receiver)
            if wf is not None and "restore" in wf.args and not _is_false(wf.args["restore"].value):
                continue
            receiver = first_arg_name(call.node.func.value)
            if receiver == "...":
                receiver = "workflow"
            yield self.report(call.node, receiver=receiver)
