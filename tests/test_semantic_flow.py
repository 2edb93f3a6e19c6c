"""The semantic model's data flow across same-file routes (issue 11 §2, §5, §7):
tuples returned by helpers, loaded approximators, branch bindings."""

from __future__ import annotations

import textwrap

import libcst as cst

from bflint.semantic.model import SemanticModel


def model(src: str) -> SemanticModel:
    src = textwrap.dedent(src)
    return SemanticModel(cst.parse_module(src), src)


def kind_of(m: SemanticModel, name: str) -> str | None:
    """Kind of the value of the last use of ``name`` as a bare expression statement."""
    for node in reversed(m.nodes(cst.Name)):
        if node.value == name and m.value(node) is not None:
            return m.value(node).kind
    return None


def test_tuple_returned_by_helper_is_unpacked_element_wise():
    m = model("""
        def build():
            import bayesflow as bf
            adapter = bf.Adapter()
            return bf.ContinuousApproximator(adapter=adapter), adapter
        approx, adapter = build()
        approx
        adapter
    """)
    assert kind_of(m, "approx") == "estimator"
    assert kind_of(m, "adapter") == "adapter"
    assert [c.bf for c in m.calls if c.method == "fit"] == []


def test_unpacking_that_does_not_match_stays_unknown():
    m = model("""
        import bayesflow as bf
        def build():
            return bf.ContinuousApproximator(), bf.Adapter(), 3
        a, *rest = build()
        b, c = build()
        x, y = bf.Adapter(), some_call()
        a
        b
        x
        y
    """)
    assert kind_of(m, "a") == "opaque"
    assert kind_of(m, "b") == "opaque"
    assert kind_of(m, "x") == "adapter"
    assert kind_of(m, "y") == "opaque"


def test_history_in_a_returned_tuple_reaches_the_caller():
    from bflint.analyze.histories import escapes, fit_histories
    m = model("""
        import bayesflow as bf
        def train(wf):
            history = wf.fit_offline(data=d, validation_data=v)
            return wf, history
        model, hist = train(bf.BasicWorkflow())
        bf.diagnostics.plots.loss(hist)
    """)
    (h,) = fit_histories(m)
    assert [u.callee for u in h.uses] == ["bayesflow.diagnostics.plots.loss"]
    assert not escapes(m, h)


def test_branch_bindings_are_alternatives():
    m = model("""
        import bayesflow as bf
        wf = bf.BasicWorkflow()
        if flag:
            samples = wf.sample(conditions=c, num_samples=10)
        else:
            samples = helper()
        samples
    """)
    last = [n for n in m.nodes(cst.Name) if n.value == "samples"][-1]
    alts = m.alternatives(m.value(last))
    assert [a.kind for a in alts] == ["samples"]
    assert any(o.obj.kind == "samples" for o in m.origins(last))


def test_unconditional_rebinding_is_not_an_alternative():
    m = model("""
        a = one()
        a = two()
        a
    """)
    last = [n for n in m.nodes(cst.Name) if n.value == "a"][-1]
    assert m.alternatives(m.value(last)) == []


def test_loaded_keras_model_is_an_approximator_in_a_bayesflow_file():
    src = """
        import keras
        {imp}
        approx = keras.saving.load_model("m.keras")
        approx.fit(dataset=ds)
        approx.fit(x, y)
        d = approx.sample(conditions=c, num_samples=5)
    """
    m = model(src.format(imp="import bayesflow as bf"))
    assert [c.bf for c in m.calls if c.method in ("fit", "sample")] == [
        "estimator_fit", None, "sample"]
    m = model(src.format(imp="import numpy as np"))
    assert [c.bf for c in m.calls if c.method in ("fit", "sample")] == [None, None, None]


def test_true_parameters_declared_to_bayesflow():
    from bflint.analyze.truth import true_parameters
    m = model("""
        import numpy as np
        import bayesflow as bf
        theta = np.load("v.npz")["theta"]
        other = np.load("o.npz")["theta"]
        bf.diagnostics.plots.recovery(draws, theta)
        theta
        other
    """)
    names = {n.value: m.value(n) for n in m.nodes(cst.Name) if n.value in ("theta", "other")}
    found = m.analysis(true_parameters)
    assert id(names["theta"]) in found and id(names["other"]) not in found


def test_origins_follow_a_helpers_return_and_tuple_positions():
    m = model("""
        import bayesflow as bf
        wf = bf.BasicWorkflow()
        def helper(x):
            return x / 2
        def pair(x):
            return wf.simulate(10), x
        a = helper(wf.simulate(5))
        b, c = pair(3)
        a
        b
        c
    """)
    names = {n.value: n for n in m.nodes(cst.Name) if n.value in ("a", "b", "c")}
    assert [o.obj.kind for o in m.origins(names["a"])] == ["sims"]
    assert [o.obj.kind for o in m.origins(names["b"])] == ["sims"]
    assert [o.obj.kind for o in m.origins(names["c"])] == []


def test_item_stores_after_a_call_are_known():
    m = model("""
        d = {}
        d["a"] = f(1)
        g(d)
        d["b"] = f(2)
    """)
    (call,) = [c for c in m.calls if c.callee_name == "g"]
    stores = [a.value for a in m.assignments if isinstance(a.targets[0], cst.Subscript)]
    assert [m.stored_after(s, call.index) for s in stores] == [False, True]


def test_instance_attribute_is_what_the_methods_bound_to_self():
    m = model("""
        import bayesflow as bf
        class Trainer:
            def __init__(self, wf, cfg):
                self.wf = wf
                self.cfg = cfg
            def train(self):
                self.history = self.wf.fit_offline(data=d, validation_data=v)
        t = Trainer(bf.BasicWorkflow(), {})
        t.history
        t.cfg
    """)
    attrs = {a.attr.value: m.value(a) for a in m.nodes(cst.Attribute)
             if isinstance(a.value, cst.Name) and a.value.value == "t"}
    assert attrs["history"].kind == "history"
    assert attrs["cfg"] is None  # a parameter of __init__: not known outside
