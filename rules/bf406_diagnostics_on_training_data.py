import libcst as cst

from bflint.analyze.constants import static_int
from bflint.analyze.workflows import trained_before
from bflint.rule import Rule, first_arg_name
from bflint.semantic.cst_util import ref_key

# keywords under which a fit call receives its training data
_DATA_KEYWORDS = ("data", "dataset", "x")


class DiagnosticsOnTrainingData(Rule):
    """## What it does
    Flags `compute_default_diagnostics(test_data=...)` /
    `plot_default_diagnostics(test_data=...)` whose test data is the very
    object (or an alias of it) that a `fit_*` call received as training
    `data=` or as `validation_data=`, given to the same workflow before the
    diagnostics call. A test set diagnosed with one workflow and only later
    passed to another one (also rebound to the same name), or a workflow name
    that branches bind to different workflows, is not reported. Test data
    that is the training or validation data on one path only is reported with
    that path: one side of `val_data if quick else test_data`, or one branch
    of an `if` binding the name (`else: test_data = val_data`).

    ## Why is this bad?
    Diagnostics on data the networks were trained or early-stopped on
    measure memorisation, not amortized inference: recovery and calibration
    look better than they are on new data, so the report overstates the
    quality of the posterior.

    ## Example
    ```python
    train_data = workflow.simulate(10_000)
    val_data = workflow.simulate(300)
    workflow.fit_offline(data=train_data, validation_data=val_data)
    metrics = workflow.compute_default_diagnostics(test_data=val_data)
    ```

    ## Use instead
    Simulate a fresh, held-out test set:
    ```python
    test_data = workflow.simulate(300)
    metrics = workflow.compute_default_diagnostics(test_data=test_data)
    ```
    """

    CODE = "BF406"
    NAME = "diagnostics-on-training-data"
    SEVERITY = "E"
    MESSAGE = "`{method}(test_data={name})`: `{name}` is the {role} passed to `{fit}(...)`"
    FIX_TITLE = ("Diagnose on fresh held-out simulations instead (`test_data = "
                 "{receiver}.simulate(300)`)")

    @staticmethod
    def _same(model, a, b) -> bool:
        if model.same_object(a, b):
            return True
        va, vb = model.value(a), model.value(b)
        # the same data object imported from a project module
        return (va is not None and vb is not None and va.kind == vb.kind == "import"
                and va.qualname == vb.qualname)

    def check(self, model):
        fits = model.bf_calls("fit_offline", "fit_online", "fit_disk", "estimator_fit")
        if not fits:
            return
        used: list[tuple[cst.BaseExpression, str, str, object]] = []  # (expr, role, fit name, fit)
        for fit in fits:
            name = "fit" if fit.bf == "estimator_fit" else fit.bf
            val = fit.kwarg("validation_data")
            # fit_online's validation_data is usually a count (``cfg.n_val``) from which
            # BayesFlow simulates: only data the model can see counts there
            if val is not None and (fit.bf != "fit_online" or _data_like(model, fit, val.value)):
                used.append((val.value, "validation data", name, fit))
            if fit.bf == "fit_offline":
                data = fit.argument(0, "data")
            elif fit.bf == "estimator_fit":
                data = next((fit.kwarg(k).value for k in _DATA_KEYWORDS if fit.kwarg(k)), None)
                if data is None and fit.positional():
                    data = fit.positional()[0].value
            else:
                data = None
            if data is not None:
                used.append((data, "training data", name, fit))
        by_identity: dict | None = None
        for call in model.bf_calls("compute_default_diagnostics", "plot_default_diagnostics"):
            test = call.argument(0, "test_data")
            if test is None or isinstance(test, (cst.Integer, cst.Float)):
                continue
            if static_int(model, test, call.function) is not None:
                continue  # a count (`test_data=N_TEST`): BayesFlow simulates fresh data
            if by_identity is None:  # the used data by identity, once per file (linear, issue 18)
                by_identity = {}
                for entry in used:
                    if not isinstance(entry[0], (cst.Integer, cst.Float)):
                        by_identity.setdefault(_identity(model, entry[0]), []).append(entry)
                by_identity.pop(None, None)
            receiver = first_arg_name(call.node.func.value) if call.method else "workflow"
            receiver = receiver if receiver != "..." else "workflow"
            for identity, when in _candidates(model, test):
                hit = next((e for e in by_identity.get(identity, ())
                            if trained_before(model, e[3], call)), None)
                if hit is None:
                    continue
                expr, role, fit_name, _fit = hit
                if when is None:
                    yield self.report(call.node, method=call.bf, name=first_arg_name(test),
                                      role=role, fit=fit_name, receiver=receiver)
                else:
                    yield self.report(
                        call.node,
                        f"`{call.bf}(test_data={first_arg_name(test)})`: {when} the test data "
                        f"is `{first_arg_name(expr)}`, the {role} passed to `{fit_name}(...)`",
                        help=self.FIX_TITLE.format(receiver=receiver))
                break


def _candidates(model, test):
    """What ``test_data=`` may be, with when (None: always): the expression itself; each
    side of a conditional expression (``val_data if quick else test_data``); and, for a
    name that branches of an ``if`` bind differently (``else: test_data = val_data``),
    each value a branch binds."""
    if isinstance(test, cst.IfExp):
        test_src = cst.Module([]).code_for_node(test.test)
        yield _identity(model, test.body), f"when `{test_src}` is true,"
        yield _identity(model, test.orelse), f"when `{test_src}` is false,"
        return
    value = model.value(test)
    alternatives = model.alternatives(value)
    if not alternatives:
        yield _identity(model, test), None
        return
    for v in (value, *alternatives):
        if v is not None and v.kind not in ("import", "literal"):
            yield ("obj", id(v)), f"in one branch of the `if` that binds `{first_arg_name(test)}`,"


def _identity(model, expr):
    """Two expressions are :meth:`DiagnosticsOnTrainingData._same` exactly when their
    identities are equal (and not None): the same tracked object (not an
    import or a literal), the same imported qualname, or the same reference
    key of untracked values."""
    value = model.value(expr)
    if value is not None:
        if value.kind == "import":
            return ("import", value.qualname)
        return None if value.kind == "literal" else ("obj", id(value))
    key = ref_key(expr)
    return None if key is None else ("key", key)


def _data_like(model, fit, expr) -> bool:
    """A value the model knows to be data (simulations, a dict built in the
    script), not a count or an unknown import / parameter."""
    value = model.value(expr)
    if value is None or value.kind in ("import", "param", "literal"):
        return False
    return static_int(model, expr, fit.function) is None
