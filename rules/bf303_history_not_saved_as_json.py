import libcst as cst

from bflint.analyze.histories import (
    discarded,
    escapes,
    fit_histories,
    history_name,
    json_saved,
    non_json_writers,
)
from bflint.rule import Rule, first_arg_name


class HistoryNotSavedAsJson(Rule):
    """## What it does
    Flags a `fit_offline` / `fit_online` / `fit_disk` call whose History is
    never written with `json.dump(<history>.history, f)`, or is written only
    as CSV, a pandas DataFrame, pickle, numpy or `keras.callbacks.CSVLogger`.

    `json.dump` inside a helper function of the script that receives the
    history counts, and so does `json.dumps(...)` written to a file
    (`Path.write_text`, `f.write`); `json.dumps` only printed does not.
    A fit whose result is discarded is reported too (unless
    `workflow.history.history` is saved afterwards). When the history is
    saved as JSON *and* in another format, nothing is reported. A history
    handed to a function the linter cannot see (a project module's helper,
    an experiment tracker) or stored in a container is not reported.

    ## Why is this bad?
    BayesFlow does not save the training history. `history.history` is a
    plain dict of lists (`{"loss": [...], "val_loss": [...]}`): JSON keeps it
    as is, and the training inspector (`inspect_history`, `bflint
    inspect-training --history history.json`) and the report read that file.
    A CSV or DataFrame changes its shape, pickle and numpy files are not
    portable, and a history that is not saved is lost with the session.

    ## Example
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    pd.DataFrame(history.history).to_csv("history.csv")
    ```

    ## Use instead
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    with open(os.path.join(results_dir, "history.json"), "w") as f:
        json.dump(history.history, f)
    ```
    """

    CODE = "BF303"
    NAME = "history-not-saved-as-json"
    SEVERITY = "W"
    MESSAGE = "{what}"
    FIX_TITLE = "Save it with `json.dump({h}.history, f)` to `history.json`"

    def check(self, model):
        for h in fit_histories(model):
            saved = json_saved(model, h)
            if saved is True:
                continue
            ev = model.call_event(h.node)
            method = ev.bf if ev is not None else "fit"
            receiver = first_arg_name(h.node.func.value) if isinstance(h.node.func, cst.Attribute) else "..."
            name = history_name(model, h)
            if saved == "whole":
                what = (f"`{name}` (the History of `{receiver}.{method}(...)`) is passed to "
                        f"`json.dump` as an object, which is not JSON serialisable")
                yield self.report(h.node, what=what, h=name)
                continue
            if escapes(model, h):
                continue
            others = non_json_writers(model, h)
            if others:
                what = (f"the History of `{receiver}.{method}(...)` is written only as "
                        f"{' and '.join(others)}, not as JSON")
            elif discarded(model, h):
                name = "history"
                what = (f"the History returned by `{receiver}.{method}(...)` is discarded, never "
                        f"saved (assign it: `history = {receiver}.{method}(...)`)")
            else:
                what = f"the History `{name}` of `{receiver}.{method}(...)` is never written as JSON"
            yield self.report(h.node, what=what, h=name)
