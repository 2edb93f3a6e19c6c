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
