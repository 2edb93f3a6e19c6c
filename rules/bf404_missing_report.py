import libcst as cst

from bflint.analyze.workflows import non_image_fits
from bflint.bayesflow_api import canonical
from bflint.rule import Rule, first_arg_name
from bflint.semantic.cst_util import string_value

TRAINING = ("fit_offline", "fit_online", "fit_disk", "estimator_fit")
DIAGNOSTICS = ("compute_default_diagnostics", "plot_default_diagnostics",
               "compute_custom_diagnostics", "plot_custom_diagnostics")
# In-silico diagnostics of bf.diagnostics (issue 11 §1): they compare posterior
# draws with known (simulated) parameters. Not `plots.loss` (training curve)
# nor the posterior/pairs plots, which also serve real observations.
IN_SILICO = frozenset({
    "recovery", "calibration_ecdf", "calibration_ecdf_from_quantiles", "calibration_histogram",
    "coverage", "z_score_contraction", "mc_calibration", "mc_confusion_matrix",
    "calibration_error", "posterior_contraction", "root_mean_squared_error",
    "expected_calibration_error", "calibration_log_gamma",
})


def _diagnoses(model) -> bool:
    if model.bf_calls(*DIAGNOSTICS):
        return True
    for c in model.calls:
        q = canonical(c.qualname) if c.qualname else ""
        if q.startswith("bayesflow.diagnostics.") and q.rsplit(".", 1)[-1] in IN_SILICO:
            return True
    return False
REPORT = "report.md"


def _writes_report(model) -> bool:
    for c in model.calls:
        if c.callee_name == "write_report":
            return True
    for node in model.nodes(cst.SimpleString):
        s = string_value(node)
        if s is not None and s.strip().lower().endswith(REPORT):
            return True
    for node in model.nodes(cst.FormattedString):
        parts = [p for p in node.parts if isinstance(p, cst.FormattedStringText)]
        if parts and node.parts[-1] is parts[-1] and parts[-1].value.strip().lower().endswith(REPORT):
            return True
    return False


class MissingReport(Rule):
    """## What it does
    Flags a script that trains and runs in-silico diagnostics (the default or
    custom diagnostics, or `bf.diagnostics.plots`/`metrics` recovery,
    calibration, coverage, contraction, ...) but never
    writes `report.md` (no `"…report.md"` path, no call of a `write_report`
    such as `bflint.runtime.write_report`). Reported at the first training
    call. Workflows whose inference network is a `DiffusionModel` with an
    image subnet (`UNet`, `UViT`, `ResidualUViT`) are exempt: for
    image-valued targets the standard diagnostic report does not apply (the
    guide uses visual sample grids instead).

    ## Why is this bad?
    The house workflow requires a self-contained `report.md` after every
    training + diagnostics run: convergence, recovery, calibration and
    contraction ratings and the next steps. Without it the results of the
    run are scattered over figures and CSV files and get lost between
    iterations.

    ## Example
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    metrics = workflow.compute_default_diagnostics(test_data=test_data)
    metrics.to_csv(os.path.join(results_dir, "metrics.csv"))
    ```

    ## Use instead
    ```python
    from bflint.runtime import check_diagnostics, inspect_history, write_report

    metrics = workflow.compute_default_diagnostics(test_data=test_data)
    write_report(results_dir, training_report=inspect_history(history),
                 diag_report=check_diagnostics(metrics))
    ```
    """

    CODE = "BF404"
    NAME = "missing-report"
    SEVERITY = "W"
    MESSAGE = ("`{method}(...)` trains `{receiver}` and the script runs in-silico diagnostics "
               "but never writes `report.md`")
    FIX_TITLE = ("Call `bflint.runtime.write_report(results_dir, ...)` (or write "
                 "`<results_dir>/report.md`) after the diagnostics")

    def check(self, model):
        fits = model.bf_calls(*TRAINING)
        if not fits or not _diagnoses(model) or _writes_report(model):
            return
        fits = non_image_fits(model, fits)
        if not fits:
            return
        call = fits[0]
        method = "fit" if call.bf == "estimator_fit" else call.bf
        receiver = first_arg_name(call.node.func.value) if isinstance(call.node.func, cst.Attribute) else "..."
        yield self.report(call.node, method=method, receiver=receiver if receiver != "..." else "workflow")
