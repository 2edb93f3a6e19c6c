from bflint.rule import Rule, first_arg_name


class DiagnosticsWithoutTestData(Rule):
    """## What it does
    Flags `compute_default_diagnostics(...)` / `plot_default_diagnostics(...)`
    called without `test_data=` (or a first positional argument).

    ## Why is this bad?
    In-silico diagnostics compare posterior draws with the known parameters
    of held-out simulations. Without test data the call fails at run time
    (BayesFlow 2.1 requires it), so the diagnostics and the report never get
    produced.

    ## Example
    ```python
    metrics = workflow.compute_default_diagnostics(num_samples=1000)
    ```

    ## Use instead
    Simulate ~300 fresh data sets and pass them as `test_data=`:
    ```python
    test_data = workflow.simulate(300)
    metrics = workflow.compute_default_diagnostics(test_data=test_data)
    figures = workflow.plot_default_diagnostics(test_data=test_data)
    ```
    """

    CODE = "BF405"
    NAME = "diagnostics-without-test-data"
    SEVERITY = "E"
    MESSAGE = "`{method}(...)` on `{receiver}` has no `test_data=`"
    FIX_TITLE = ("Simulate held-out data (`test_data = {receiver}.simulate(300)`) and pass it "
                 "as `test_data=test_data`")

    def check(self, model):
        for call in model.bf_calls("compute_default_diagnostics", "plot_default_diagnostics"):
            if call.argument(0, "test_data") is not None:
                continue
            if any(a.star for a in call.node.args):
                continue  # *args / **kwargs may carry it
            receiver = first_arg_name(call.node.func.value) if call.method else "workflow"
            if receiver == "...":
                receiver = "workflow"
            yield self.report(call.node, method=call.bf, receiver=receiver)
