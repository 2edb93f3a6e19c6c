"""The classification of calls by the semantic model: which call builds a
workflow, an adapter, a simulator, an estimator or a network, and which
method call is a BayesFlow method (``fit_*``, ``simulate``, ``sample``, the
diagnostics), also on objects of unknown origin. BayesFlow facts come from
:mod:`bflint.bayesflow_api`. A mixin of :class:`~bflint.semantic.builder.Builder`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import libcst as cst

from bflint import bayesflow_api
from bflint.bayesflow_api import BAYESFLOW, FIT_METHODS, UNIQUE_WORKFLOW_METHODS
from bflint.semantic.cst_util import ref_key
from bflint.semantic.values import (
    AdapterObj,
    FunctionObj,
    HistoryObj,
    InstanceObj,
    Obj,
    ParamObj,
    SimulatorObj,
    Transform,
    WorkflowObj,
)

if TYPE_CHECKING:  # pragma: no cover
    from bflint.semantic.model import SemanticModel

# loaders of saved keras models: in a file that uses BayesFlow, a saved approximator
LOADERS = frozenset({"keras.saving.load_model", "keras.models.load_model",
                     "tensorflow.keras.models.load_model"})


class CallClassifier:
    """What a call makes (``classify``) and the objects it creates."""

    m: SemanticModel

    def classify(self, e, qualname, method, receiver, local, arg_values):
        m = self.m
        if qualname is not None:
            root = qualname.split(".")[0]
            if root == BAYESFLOW:
                name = qualname.rsplit(".", 1)[-1]
                if qualname == "bayesflow.BasicWorkflow":
                    return self.new_workflow(e, arg_values), "construct"
                if qualname == "bayesflow.Adapter":
                    adapter = AdapterObj("adapter", e, qualname=qualname, model=m)
                    if e.args:
                        adapter.complete = False
                    m.adapters.append(adapter)
                    return adapter, "construct"
                if qualname in ("bayesflow.make_simulator",):
                    return self.new_simulator(e), "construct"
                if qualname.startswith("bayesflow.simulators.") and name[:1].isupper():
                    sim = SimulatorObj("simulator", e, qualname=qualname)
                    sim.functions = [None]
                    m.simulators.append(sim)
                    return sim, "construct"
                if qualname.startswith("bayesflow.networks."):
                    net = Obj("network", e, qualname=qualname)
                    m.networks.append(net)
                    return net, "construct"
                if name in bayesflow_api.estimator_names():
                    return Obj("estimator", e, qualname=qualname), "construct"
                return Obj("bf", e, qualname=qualname + "()"), None
            if qualname in LOADERS and m.uses_bayesflow:
                # ``approximator = keras.saving.load_model("model.keras")`` in a BayesFlow
                # file: a saved approximator (its class is not known)
                return Obj("estimator", e, qualname=None), None
            if isinstance(e.func, cst.Attribute):
                # ``from my_model import workflow``: BayesFlow's own method names still count
                found = self.unknown_origin_method(e, e.func.attr.value, m.value(e.func.value))
                if found[1] is not None:
                    return found
            return Obj("foreign", e, qualname=qualname + "()"), None
        if local is not None:
            bound = local.is_method and isinstance(e.func, cst.Attribute)
            self.apply_effects(e, local, arg_values, offset=1 if bound else 0)
            ret = local.return_obj()
            if isinstance(ret, ParamObj):
                return None, None
            if isinstance(ret, WorkflowObj):
                ret = self.workflow_with_arguments(ret, local, e, arg_values, 1 if bound else 0)
            return ret, None
        if method is None:
            return None, None
        kind = receiver.kind if receiver is not None else None
        if kind == "adapter":
            if method in bayesflow_api.adapter_chain_methods():
                receiver.transforms.append(Transform(method, e, list(e.args)))
                return receiver, None
            return None, None
        if kind == "workflow":
            return self.workflow_method(e, method, receiver)
        if kind == "simulator":
            if method == "sample":
                return Obj("sims", e, parent=receiver), "simulator_sample"
            return None, None
        if kind == "estimator":
            if method == "fit" and receiver.qualname is None and self.keras_style_fit(e):
                return None, None  # ``model.fit(x, y)``: a loaded plain keras model
            if method == "fit":
                return self.new_history(e, receiver), "estimator_fit"
            if method == "sample":
                return Obj("samples", e, parent=receiver), "sample"
            return None, None
        if kind in ("foreign", "literal", "network", "sims", "samples", "history",
                    "history_dict", "figures", "diagnostics", "function"):
            # a different library's object (or data): only BayesFlow's own
            # unique method names still count
            if kind == "foreign" and method in UNIQUE_WORKFLOW_METHODS:
                return self.workflow_method(e, method, receiver)
            if kind == "foreign" and self.m.uses_bayesflow and self.bayesflow_signature(e, method):
                # e.g. ``workflow = build_workflow()`` imported from a project module
                return self.workflow_method(e, method, receiver)
            return None, None
        if method == "sample" and isinstance(receiver, InstanceObj) \
                and receiver.cls in self.m._simulator_classes:
            return Obj("sims", e, parent=receiver), "simulator_sample"
        # unknown origin: parameter, project import, opaque value, unbound name
        return self.unknown_origin_method(e, method, receiver)

    def workflow_with_arguments(self, wf: WorkflowObj, f, e: cst.Call, arg_values,
                                offset: int) -> WorkflowObj:
        """``create_workflow(simulator, adapter)`` returning ``bf.BasicWorkflow(
        simulator=simulator, adapter=adapter, ...)`` (a helper of this file or of a project
        module): at this call the workflow's simulator and adapter are the call's
        arguments. A copy per call site, added to the model's workflows (a project module's
        helper: to its ``bound_workflows``, so that only the pairing is judged here); the
        workflow itself when no parameter of ``f`` is its simulator or adapter."""
        pairs, starred = f.arguments(e.args, arg_values, offset)
        if starred:
            return wf  # ``*args`` / ``**kwargs``: which parameter gets what is unknown
        given = dict(pairs)
        def bound(current: Obj | None) -> Obj | None:
            if isinstance(current, ParamObj) and current.function is f:
                return given.get(current.name) or current
            return current

        adapter, simulator = bound(wf.adapter), bound(wf.simulator)
        if adapter is wf.adapter and simulator is wf.simulator:
            return wf
        copy = dataclasses.replace(wf, model=self.m, site=e, adapter=adapter, simulator=simulator)
        foreign = self.m.project is not None and id(f) in self.m.project.foreign_functions
        (self.m.bound_workflows if foreign else self.m.workflows).append(copy)
        return copy

    @staticmethod
    def keras_style_fit(e: cst.Call) -> bool:
        """``model.fit(x, y, ...)`` / ``fit(x=..., y=...)``: data passed the way a plain
        keras model takes it, not the way a BayesFlow approximator does
        (``fit(dataset=...)`` / ``fit(simulator=...)``)."""
        keywords = {a.keyword.value for a in e.args if a.keyword is not None}
        return any(a.keyword is None for a in e.args) or bool(keywords & {"x", "y"})

    @staticmethod
    def bayesflow_signature(e: cst.Call, method: str) -> bool:
        """A common method name used with keywords only BayesFlow's own
        method has (``fit_online(num_batches_per_epoch=...)``,
        ``sample(conditions=..., num_samples=...)``)."""
        keywords = {a.keyword.value for a in e.args if a.keyword is not None}
        if method == "fit_online":
            return "num_batches_per_epoch" in keywords
        if method == "sample":
            return {"conditions", "num_samples"} <= keywords
        return False

    def unknown_origin_method(self, e, method, receiver):
        m = self.m
        if method in UNIQUE_WORKFLOW_METHODS:
            return self.workflow_method(e, method, receiver)
        keywords = {a.keyword.value for a in e.args if a.keyword is not None}
        if method == "sample" and "num_samples" in keywords and (
            "conditions" in keywords or m.uses_bayesflow
        ):
            return self.workflow_method(e, method, receiver)
        if method == "fit_online" and m.uses_bayesflow:
            return self.workflow_method(e, method, receiver)
        return None, None

    def workflow_method(self, e, method, receiver):
        if method in FIT_METHODS:
            return self.new_history(e, receiver), method
        if method == "simulate":
            return Obj("sims", e, parent=receiver), "simulate"
        if method == "sample":
            return Obj("samples", e, parent=receiver), "sample"
        if method == "compute_default_diagnostics":
            return Obj("diagnostics", e, parent=receiver), method
        if method == "plot_default_diagnostics":
            return Obj("figures", e, parent=receiver), method
        if method in ("compute_custom_diagnostics", "plot_custom_diagnostics", "log_prob",
                      "estimate", "samples_to_data_frame"):
            return None, method
        return None, None

    def last_fit_history(self, target: cst.BaseExpression, base: Obj | None) -> HistoryObj | None:
        """The History of the latest BayesFlow ``fit_*`` call on ``target``
        (same object, or same spelling when the receiver is unknown)."""
        key = ref_key(target)
        for h in reversed(self.m.histories):
            func = h.node.func if isinstance(h.node, cst.Call) else None
            if not isinstance(func, cst.Attribute) or func.attr.value not in FIT_METHODS:
                continue
            if base is not None and base.kind == "workflow":
                if h.parent is base:
                    return h
            elif key is not None and ref_key(func.value) == key and (
                h.parent is None or h.parent is base
            ):
                return h
        return None

    def new_history(self, e, receiver) -> HistoryObj:
        h = HistoryObj("history", e, parent=receiver)
        self.m.histories.append(h)
        return h

    def new_workflow(self, e: cst.Call, arg_values) -> WorkflowObj:
        wf = WorkflowObj("workflow", e, qualname="bayesflow.BasicWorkflow", model=self.m)
        names = bayesflow_api.positional_names("bayesflow.BasicWorkflow")
        positional = [a for a in e.args if a.keyword is None and not a.star]
        for name, a in zip(names, positional):
            wf.args[name] = a
        for a in e.args:
            if a.keyword is not None:
                wf.args[a.keyword.value] = a
        if "adapter" in wf.args:
            wf.adapter = self.m.value(wf.args["adapter"].value)
        if "simulator" in wf.args:
            wf.simulator = self.m.value(wf.args["simulator"].value)
            if isinstance(wf.simulator, InstanceObj) and wf.simulator.cls is not None:
                # an instance of a class of this file is the workflow's simulator (BayesFlow
                # calls its ``sample``): ``sample(...)`` of that class's instances from here
                # on simulates (also a second instance for a validation batch)
                self.m._simulator_classes.add(wf.simulator.cls)
        self.m.workflows.append(wf)
        return wf

    def new_simulator(self, e: cst.Call) -> SimulatorObj:
        sim = SimulatorObj("simulator", e, qualname="bayesflow.make_simulator")
        first = None
        for a in e.args:
            if a.keyword is None and not a.star:
                first = a.value
                break
            if a.keyword is not None and a.keyword.value in ("sample_fn", "functions", "arg"):
                first = a.value
                break
        elements = []
        if isinstance(first, (cst.List, cst.Tuple)):
            elements = [el.value for el in first.elements]
        elif first is not None:
            elements = [first]
        meta = next((a.value for a in e.args if a.keyword and a.keyword.value == "meta_fn"), None)
        for el in elements:
            obj = self.m.value(el)
            sim.functions.append(obj.info if isinstance(obj, FunctionObj) else None)
        sim.meta = self.m.value(meta) if meta is not None else None  # type: ignore[attr-defined]
        self.m.simulators.append(sim)
        return sim

    # -- history data flow ---------------------------------------------------
