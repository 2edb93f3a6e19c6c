from __future__ import annotations

import libcst as cst

from bflint import bayesflow_api
from bflint.analyze.names import (
    bayesflow_callable,
    legacy_keyword,
    legacy_method,
    legacy_name,
    short_callable,
    snake_case,
    unknown_names,
)
from bflint.analyze.networks import bound_args
from bflint.edits import unique_match
from bflint.rule import Edit, Fix, Rule
from bflint.semantic.cst_util import display_name, ref_key
from bflint.semantic.values import AdapterObj, WorkflowObj

STRING_SLOTS = {"inference_network": "inference", "summary_network": "summary", "subnet": "subnet"}


STANDARDIZE_ADVICE = (
    "pass `mean=` and `std=` computed from the training simulations, or drop the transform and "
    "let the workflow standardize (`BasicWorkflow(standardize=...)`)"
)


# Workflow attributes 2.1 renamed (the legacy table's "removed_2x" entries of kind attribute that
# are a pure rename): offered as a fix on the user's own variable.
ATTRIBUTE_RENAMES_2_1 = {"approximator": "estimator"}

def _bf() -> str:
    """The BayesFlow the findings judge against (issue 13 §5): `BayesFlow 2.1`, `BayesFlow 2.0`."""
    return f"BayesFlow {bayesflow_api.target()}"


DIAGNOSTICS_METHODS = frozenset({"compute_default_diagnostics", "plot_default_diagnostics"})


class UnknownBayesflowApi(Rule):
    """## What it does
    Flags names, keywords and string options that BayesFlow 2.1 does not have or rejects:
    attribute typos (`bf.networks.SetTransfomer`), unknown keywords of BayesFlow calls
    (`fit_offline(val_data=...)`, `CouplingFlow(subnet_kwrgs=...)`),
    `BasicWorkflow(inference_kwargs= / summary_kwargs= / optimizer_kwargs=)`, network names
    BayesFlow does not accept as strings (`inference_network="FlowMatching"`,
    `subnet="unet"`), names removed during 2.0.x and calls that do not supply a required
    argument (`adapter.standardize(exclude=...)` without `mean=`/`std=`, which 2.1 requires;
    calls with `*args`/`**kwargs` unpacking are skipped). BayesFlow 1.x names are BF902's.
    A name that lives in a submodule (`from bayesflow import Simulator`) gets the full
    path (`bayesflow.simulators.Simulator`). Imports under `if TYPE_CHECKING:` are
    skipped: they never run, so a wrong name there is a type checker's finding.

    ## Why is this bad?
    Misspelled names crash with `AttributeError` / `ImportError`; unknown keywords either
    crash (`BasicWorkflow`, `make_simulator`) or, worse, are silently dropped (networks drop
    unknown keywords, `fit_*` keep only keywords of keras `fit`), so the setting the user
    wrote never takes effect. The checks use the API recorded from the installed BayesFlow
    (`bflint/data/bayesflow_api.json`); keywords forwarded to keras `fit` are known.

    ## Example
    ```python
    summary_network = bf.networks.SetTransfomer(summary_dim=8)
    workflow = bf.BasicWorkflow(inference_network="FlowMatching", inference_kwargs={"depth": 4})
    history = workflow.fit_offline(data, epochs=100, val_data=validation_data)
    ```

    ## Use instead
    ```python
    summary_network = bf.networks.SetTransformer(summary_dim=8)
    workflow = bf.BasicWorkflow(inference_network=bf.networks.FlowMatching())
    history = workflow.fit_offline(data, epochs=100, validation_data=validation_data)
    ```
    """

    CODE = "BF903"
    NAME = "unknown-bayesflow-api"
    SEVERITY = "E"
    MESSAGE = "{what} {problem}"
    FIX_TITLE = "{advice}"

    def check(self, model):
        if not (model.uses_bayesflow or model.bf_calls()):
            return
        yield from self.names(model)
        members = None
        for call in model.calls:
            if legacy_method(model, call) is not None:
                continue  # BF902
            recv = call.receiver
            if call.method and isinstance(recv, (WorkflowObj, AdapterObj)):
                if members is None:
                    members = bayesflow_api.workflow_members()
                found = self.method_typo(call, recv, members)
                if found is not None:
                    yield found
                    continue
            if call.method and recv is not None and (
                isinstance(recv, WorkflowObj) or recv.kind == "estimator"
            ):
                entry = bayesflow_api.legacy_entry(call.method, "removed_2x")
                if entry is not None and entry.get("kind") == "attribute":
                    shown = display_name(call.node.func.value) or "..."
                    yield self.report(call.node, what=f"`{shown}.{call.method}(...)`",
                                      problem="was removed during BayesFlow 2.0.x",
                                      advice=f"use {entry['replacement']}")
                    continue
            qualname = bayesflow_callable(model, call)
            if qualname is None or bayesflow_api.signature(qualname) is None:
                continue
            yield from self.keywords(call, qualname)
            yield from self.missing_arguments(call, qualname)
            yield from self.string_options(model, call, qualname)
        yield from self.removed_attributes(model)

    # -- names -----------------------------------------------------------------------------
    def names(self, model):
        for unknown in unknown_names(model):
            if unknown.not_attribute:
                replacement = bayesflow_api.legacy("wrappers", "modules") or "import it explicitly"
                yield self.report(unknown.node, what=f"`{unknown.text}`",
                                  problem=f"is not available after `import bayesflow` in {_bf()}",
                                  advice=f"use {replacement}")
                continue
            if legacy_name(unknown) is not None:
                continue  # BF902
            removed = bayesflow_api.legacy_entry(unknown.component, "removed_2x")
            shown = f"`{unknown.text}`"
            if removed is not None:
                yield self.report(unknown.node, what=shown,
                                  problem=f"was removed during BayesFlow 2.0.x and is not in {_bf()}",
                                  advice=f"use {removed['replacement']}")
                continue
            names = bayesflow_api.public_names(unknown.module) or frozenset()
            suggestion = bayesflow_api.closest(unknown.component, names)
            if unknown.in_import and unknown.component[:1].islower() and suggestion is None:
                continue  # may be a submodule the API data does not list
            where = "`bf`" if unknown.module == "bayesflow" else f"`{unknown.module}`"
            elsewhere = bayesflow_api.submodule_with(unknown.module, unknown.component)
            if elsewhere is not None:
                suggestion = None  # the exact name exists one level down: no spelling advice
                advice = f"it lives in a submodule: use `{elsewhere}.{unknown.component}`"
            elif suggestion is not None:
                advice = f"did you mean `{suggestion}`?"
            else:
                advice = f"check the name against {where}'s contents"
            fix = None
            node = unknown.node.func if isinstance(unknown.node, cst.Call) else unknown.node
            if (suggestion is not None and not unknown.in_import and isinstance(node, cst.Attribute)
                    and node.attr.value == unknown.component
                    and unique_match(unknown.component, names) == suggestion):
                fix = Fix.safe(f"Rename `{unknown.component}` to `{suggestion}`", Edit(node.attr, suggestion))
            yield self.report(unknown.node, what=shown,
                              problem=f"does not exist in {_bf()} ({where} has no "
                                      f"`{unknown.component}`)",
                              advice=advice, fix=fix)

    def removed_attributes(self, model):
        """``workflow.approximator`` (renamed ``workflow.estimator`` in 2.1), read or
        assigned (``workflow.approximator = keras.saving.load_model(...)`` sets an
        attribute the workflow never reads: it samples with its own, untrained estimator)."""
        targets = {id(t): t for rec in model.assignments for t in rec.targets
                   if isinstance(t, cst.Attribute)}
        for node in [*model.nodes(cst.Attribute), *targets.values()]:
            base = model.value(node.value)
            if not isinstance(base, WorkflowObj):
                continue
            entry = bayesflow_api.legacy_entry(node.attr.value, "removed_2x")
            if entry is None or entry.get("kind") != "attribute":
                continue
            owner = ref_key(node.value)
            shown = f"{owner}.{node.attr.value}" if owner else f"....{node.attr.value}"
            advice = f"use {entry['replacement']}"
            fix = None
            if node.attr.value in ATTRIBUTE_RENAMES_2_1:
                new = ATTRIBUTE_RENAMES_2_1[node.attr.value]
                if owner:
                    advice = f"use `{owner}.{new}` (the attribute was renamed in 2.1)"
                fix = Fix.safe(f"Rename `.{node.attr.value}` to `.{new}`", Edit(node.attr, new))
            problem = f"does not exist in {_bf()}"
            if id(node) in targets:
                problem += (": assigning it adds an attribute the workflow never reads, and it "
                            "keeps training and sampling with its own estimator")
            yield self.report(node, what=f"`{shown}`", problem=problem, advice=advice, fix=fix)

    def method_typo(self, call, recv, members):
        method = call.method
        if isinstance(recv, WorkflowObj) and method in bayesflow_api.workflow_not_implemented():
            return self.not_implemented(call, method)
        if isinstance(recv, WorkflowObj):
            known, owner = members, "BasicWorkflow"
        else:
            known, owner = bayesflow_api.adapter_methods(), "Adapter"
        if method in known or method.startswith("_"):
            return None
        suggestion = bayesflow_api.closest(method, known)
        if suggestion is None:
            return None
        shown = display_name(call.node.func.value) or "..."
        fix = None
        if unique_match(method, known) == suggestion:
            fix = Fix.safe(f"Rename `{method}` to `{suggestion}`", Edit(call.node.func.attr, suggestion))
        return self.report(call.node, what=f"`{shown}.{method}(...)`",
                           problem=f"calls a method `{owner}` does not have in {_bf()}",
                           advice=f"did you mean `{suggestion}`?", fix=fix)

    # the methods to call instead of an abstract one BasicWorkflow inherits
    _IMPLEMENTED = {"compute_diagnostics": "compute_default_diagnostics",
                    "plot_diagnostics": "plot_default_diagnostics", "fit": "fit_offline"}

    def not_implemented(self, call, method):
        """``workflow.compute_diagnostics(...)``: inherited from the abstract ``Workflow``,
        it raises ``NotImplementedError`` (after the training that came before it)."""
        shown = display_name(call.node.func.value) or "..."
        instead = self._IMPLEMENTED.get(method)
        fix = None
        if instead is not None:
            advice = f"call `{shown}.{instead}(...)`"
            if method != "fit":  # fit_offline takes other arguments than keras' fit
                advice += f" (or `{method.replace('_diagnostics', '_custom_diagnostics')}(...)`)"
                fix = Fix.unsafe(f"Rename `{method}` to `{instead}`", Edit(call.node.func.attr, instead))
        else:
            advice = f"use `bf.{method}(...)`" if method == "make_simulator" else \
                "use the workflow's `fit_*` / `*_default_diagnostics` methods"
        return self.report(call.node, what=f"`{shown}.{method}(...)`",
                           problem=f"is not implemented by `BasicWorkflow` in {_bf()}: it raises "
                                   "`NotImplementedError`",
                           advice=advice, fix=fix)

    # -- keywords --------------------------------------------------------------------------
    def keywords(self, call, qualname):
        rejected = bayesflow_api.rejected_workflow_keywords() if qualname == "bayesflow.BasicWorkflow" else ()
        sig = bayesflow_api.signature(qualname)
        for arg in call.node.args:
            if arg.keyword is None:
                continue
            kw = arg.keyword.value
            if legacy_keyword(qualname, kw) is not None:
                continue  # BF902
            if bayesflow_api.is_known_keyword(qualname, kw) is not False:
                continue
            name = short_callable(qualname)
            what = f"`{kw}=`"
            if kw in rejected:
                entry = bayesflow_api.legacy_entry(kw, "removed_2x")
                advice = entry["replacement"] if entry else "remove it"
                yield self.report(arg, what=what,
                                  problem=f"is rejected by `{name}(...)` in {_bf()} "
                                          f"(`{bayesflow_api.rejected_workflow_message(kw)}`)",
                                  advice=advice)
                continue
            suggestion = bayesflow_api.closest(kw, bayesflow_api.signature_keywords(qualname) or (), cutoff=0.6)
            if suggestion and kw.endswith("_kwargs") and suggestion.endswith("_kwargs") \
                    and bayesflow_api.closest(kw[:-7], (suggestion[:-7],), cutoff=0.6) is None:
                # `coupling_kwargs` is not a misspelt `integrate_kwargs`: the shared
                # `_kwargs` suffix alone makes them look alike; do not guess
                suggestion = None
            if bayesflow_api.unknown_keywords_ignored(qualname):
                if sig.get("kwargs_to") == "keras.Model.fit":
                    problem = (f"is not a keyword of `{name}(...)` nor of keras `fit`: "
                               "BayesFlow silently drops it")
                else:
                    problem = f"is not a keyword of `{name}(...)`: BayesFlow silently drops it"
            else:
                problem = f"is not a keyword of `{name}(...)` in {_bf()} (the call fails)"
            advice = f"did you mean `{suggestion}=`?" if suggestion else "remove it or fix the name"
            fix = None
            if suggestion and unique_match(kw, bayesflow_api.signature_keywords(qualname) or ()) == suggestion \
                    and call.kwarg(suggestion) is None:
                fix = Fix.safe(f"Rename `{kw}=` to `{suggestion}=`", Edit(arg.keyword, suggestion))
            yield self.report(arg, what=what, problem=problem, advice=advice, fix=fix)

    # -- required arguments ----------------------------------------------------------------
    def missing_arguments(self, call, qualname):
        sig = bayesflow_api.signature(qualname)
        if any(a.star for a in call.node.args):
            return  # *args / **kwargs unpacking: what it supplies is unknown
        missing = bayesflow_api.missing_parameters(sig, len(call.positional()), call.keywords())
        if call.method in DIAGNOSTICS_METHODS:
            missing = [m for m in missing if m != "test_data"]  # BF405 reports it
        if not missing:
            return
        name = short_callable(qualname)
        listed = ", ".join(f"`{m}`" for m in missing)
        plural = "s" if len(missing) > 1 else ""
        advice = STANDARDIZE_ADVICE if bayesflow_api.record_name(qualname) == "bayesflow.Adapter.standardize" \
            else f"pass {listed}"
        where = call.node.func.attr if isinstance(call.node.func, cst.Attribute) and call.method else call.node
        yield self.report(where, what=f"`{name}(...)`",
                          problem=f"misses the required argument{plural} {listed} in {_bf()} "
                                  "(the call raises `TypeError`)",
                          advice=advice)

    # -- string options --------------------------------------------------------------------
    def string_options(self, model, call, qualname):
        keywords = bayesflow_api.signature_keywords(qualname) or frozenset()
        args = bound_args(call, qualname)
        if args is None:
            args = {a.keyword.value: a.value for a in call.node.args if a.keyword is not None}
        for slot, kind in STRING_SLOTS.items():
            expr = args.get(slot)
            if expr is None or slot not in keywords:
                continue
            strings = model.strings(expr)
            if strings is None or len(strings) != 1 or isinstance(expr, (cst.List, cst.Tuple)):
                continue
            text = strings[0]
            if bayesflow_api.is_string_network_name(kind, text):
                continue
            accepted = sorted(bayesflow_api.string_network_names(kind))
            snake = snake_case(text)
            cls = bayesflow_api.network_class_named(text)
            if bayesflow_api.is_string_network_name(kind, snake):
                advice = f'use `"{snake}"`' + (f" or pass `bf.networks.{cls}()`" if cls and kind != "subnet" else "")
            elif cls is not None:
                advice = (f"pass the class `bf.networks.{cls}`" if kind == "subnet"
                          else f"pass `bf.networks.{cls}(...)`")
            else:
                close = bayesflow_api.closest(text.lower(), accepted, cutoff=0.6)
                advice = f'did you mean `"{close}"`?' if close else "pass a network object"
            shown = ", ".join(f'"{a}"' for a in accepted)
            yield self.report(expr, what=f'`{slot}="{text}"`',
                              problem=f"is not a name {_bf()} accepts as a string "
                                      f"(accepted: {shown})",
                              advice=advice)
