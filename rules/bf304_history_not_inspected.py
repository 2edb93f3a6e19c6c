import libcst as cst

from bflint.analyze.histories import (
    discarded,
    escapes,
    fit_histories,
    history_name,
    uses,
)
from bflint.rule import Rule, first_arg_name

INSPECTOR = "inspect_history"
# the command-line inspector run on the saved history.json
_CLI_MARKERS = ("inspect_training", "inspect-training")
# what ``inspect_history(x)`` is not given a saved history through: a History
# the model knows (then that one is inspected) or another BayesFlow object
_NOT_A_HISTORY_FILE = frozenset(
    {"history", "history_dict", "workflow", "adapter", "simulator", "network", "estimator",
     "sims", "samples", "diagnostics", "figures", "function"}
)


def _inspected(model, h) -> bool:
    return any(use.callee.rsplit(".", 1)[-1] == INSPECTOR for use in uses(model, h))


def _inspects_a_file(model) -> bool:
    """``inspect_history("out/history.json")`` / ``inspect_history(path)`` /
    ``inspect_history(json.load(f))`` (an argument that is not a History the
    model knows nor another BayesFlow object), or the command-line
    inspector named in a string (``subprocess.run([..., "scripts/inspect_training.py",
    "--history", path])``)."""
    for ev in model.calls:
        if ev.callee_name != INSPECTOR or ev.bf is not None:
            continue
        args = [a for a in ev.node.args if not a.star]
        if not args:
            continue
        obj = model.value(args[0].value)
        if obj is None or obj.kind not in _NOT_A_HISTORY_FILE:
            return True
    for node in model.nodes(cst.SimpleString):
        if any(m in node.value for m in _CLI_MARKERS):
            return True
    return False


class HistoryNotInspected(Rule):
    """## What it does
    Flags a `fit_offline` / `fit_online` / `fit_disk` call whose History is
    never passed to `inspect_history(...)` (`bflint.runtime.inspect_history`,
    or the guide's `scripts.inspect_training.inspect_history`, or a function
    of the script with that name).

    The History object, `history.history` and data derived from it all
    count, also when passed through a helper function of the script; so does
    `inspect_history` called on the saved `history.json` or the command-line
    inspector (`inspect_training.py --history ...`, `bflint inspect-training`).
    Plotting the loss does not count. A history handed to a function the
    linter cannot see or stored in a container is not reported.

    ## Why is this bad?
    A low final loss does not mean the training worked. The inspector checks
    what a glance at a loss curve misses: NaN or infinite losses, a missing
    `val_loss` (no validation data), overfitting (validation loss above the
    training loss) and under-training (the loss still decreasing), and gives
    a go / no-go before the diagnostics and the report.

    ## Example
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    bf.diagnostics.plots.loss(history)
    ```

    ## Use instead
    ```python
    from bflint.runtime import inspect_history

    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    training_report = inspect_history(history.history)
    if not training_report["overall"]["ok"]:
        print("\\n".join(training_report["overall"]["issues"]))
    ```
    """

    CODE = "BF304"
    NAME = "history-not-inspected"
    SEVERITY = "W"
    MESSAGE = "{what} is never passed to `inspect_history(...)`"
    FIX_TITLE = ("Call `training_report = inspect_history({h}.history)` (from `bflint.runtime`) "
                 "and act on its issues before the diagnostics; plotting the loss is not enough")

    def check(self, model):
        histories = fit_histories(model)
        if not histories or _inspects_a_file(model):
            return
        for h in histories:
            if _inspected(model, h) or escapes(model, h):
                continue
            ev = model.call_event(h.node)
            method = ev.bf if ev is not None else "fit"
            func = h.node.func
            receiver = first_arg_name(func.value) if isinstance(func, cst.Attribute) else "..."
            if discarded(model, h):
                what = f"the History returned by `{receiver}.{method}(...)` is discarded: it"
                name = "history"
            else:
                name = history_name(model, h)
                what = f"the History `{name}` of `{receiver}.{method}(...)`"
            yield self.report(h.node, what=what, h=name)
