from bflint.analyze.workflows import fit_label, mentions, non_image_fits
from bflint.bayesflow_api import has_no_workflow
from bflint.rule import Rule

TRAINING = ("fit_offline", "fit_online", "fit_disk", "estimator_fit")


class MissingDiagnostics(Rule):
    """## What it does
    Flags a script that trains (`fit_offline` / `fit_online` / `fit_disk`, or
    an estimator's `.fit`) but never calls `compute_default_diagnostics(...)`.
    Reported at the first training call. Workflows whose inference network is
    a `DiffusionModel` with an image subnet (`UNet`, `UViT`, `ResidualUViT`)
    are exempt: for image-valued targets the guide replaces the standard
    diagnostics with visual sample grids.

    ## Why is this bad?
    A good training loss does not imply good inference: only in-silico
    diagnostics on held-out simulations (recovery, calibration, contraction)
    show whether the amortized posterior can be trusted.

    ## Example
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    samples = workflow.sample(conditions=real_data, num_samples=1000)
    ```

    ## Use instead
    Diagnose on fresh simulations before using the posterior:
    ```python
    history = workflow.fit_offline(data=train_data, validation_data=val_data)
    test_data = workflow.simulate(300)
    metrics = workflow.compute_default_diagnostics(test_data=test_data)
    figures = workflow.plot_default_diagnostics(test_data=test_data)
    ```
    """

    CODE = "BF401"
    NAME = "missing-diagnostics"
    SEVERITY = "W"
    MESSAGE = ("`{method}(...)` trains `{receiver}` but the script never calls "
               "`compute_default_diagnostics(...)`")
    FIX_TITLE = "{advice} before trusting the posterior"

    def check(self, model):
        fits = model.bf_calls(*TRAINING)
        if not fits or mentions(model, "compute_default_diagnostics"):
            return
        fits = non_image_fits(model, fits)
        # an estimator no workflow builds (neural ratio estimation) has no default diagnostics
        fits = [f for f in fits if not (f.bf == "estimator_fit" and f.receiver is not None
                                        and has_no_workflow(f.receiver.qualname))]
        if not fits:
            return
        method, receiver = fit_label(fits[0])
        if fits[0].bf == "estimator_fit":
            est = fits[0].receiver
            cls = (est.qualname or "").rsplit(".", 1)[-1] if est is not None else ""
            flow = "ModelComparisonWorkflow" if cls.startswith("ModelComparison") else "BasicWorkflow"
            advice = (f"train through a `{flow}` and diagnose on held-out simulations with "
                      "`workflow.compute_default_diagnostics(test_data=workflow.simulate(300))`")
        else:
            advice = ("diagnose on held-out simulations with "
                      f"`{receiver}.compute_default_diagnostics(test_data={receiver}.simulate(300))`")
        yield self.report(fits[0].node, method=method, receiver=receiver, advice=advice)
