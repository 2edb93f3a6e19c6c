"""Questions about workflows and their training calls shared by rules
(BF105/BF109, BF401/BF404): whether a summary network is given, which fits
train a non-image workflow, how to name a fit in a message."""

from __future__ import annotations

import libcst as cst

from bflint.analyze.networks import image_workflow
from bflint.semantic.cst_util import display_name


def summary_network_given(wf) -> bool | None:
    """True / False when known; None when the call hides arguments."""
    if any(a.star for a in wf.node.args):
        return None
    arg = wf.arg("summary_network")
    if arg is None:
        return False
    value = arg.value
    return not (isinstance(value, cst.Name) and value.value == "None")


def fit_label(call) -> tuple[str, str]:
    """(method, receiver) of a training call, for messages."""
    method = "fit" if call.bf == "estimator_fit" else call.bf
    receiver = display_name(call.node.func.value) if isinstance(call.node.func, cst.Attribute) else None
    return method, receiver if receiver is not None else "workflow"


def non_image_fits(model, fits):
    """Training calls except those of a workflow whose targets are images
    (:func:`~bflint.analyze.networks.image_workflow`: a ``DiffusionModel`` with an image
    subnet, any network given one, or an unresolved network next to an image subnet): the
    guide replaces the standard diagnostics with visual sample grids for image-valued
    targets (``compute_default_diagnostics`` does not accept image-shaped targets)."""
    out = []
    for call in fits:
        wf = model.workflow_of(call.receiver)
        if wf is None or not image_workflow(model, wf):
            out.append(call)
    return out


def mentions(model, attr: str) -> bool:
    """The script calls or references ``<anything>.<attr>``."""
    if any(c.method == attr or c.callee_name == attr for c in model.calls):
        return True
    return any(a.attr.value == attr for a in model.nodes(cst.Attribute))


def _trained_object(obj):
    """The workflow behind a receiver (``workflow.approximator`` is its workflow's)."""
    if obj is not None and obj.kind == "estimator" and obj.parent is not None \
            and obj.parent.kind == "workflow":
        return obj.parent
    return obj


def trained_before(model, fit, call) -> bool:
    """The training call ``fit`` may have trained the object that ``call`` (a
    diagnostics / sampling call) uses, before ``call`` runs: not when both receivers
    are identified BayesFlow objects and differ (``workflow`` rebound to a new
    workflow), nor when a branch may have bound the receiver to another object, nor
    when ``fit`` comes after ``call`` in the same function body (outside a loop
    enclosing both). Unknown receivers (a parameter, a project import) may be the
    same object: True."""
    a, b = model.value(_receiver(fit)), model.value(_receiver(call))
    if a is None or a is not b:  # one binding (whichever branch made it) is one object
        if model.alternatives(a) or model.alternatives(b):
            return False
        a, b = _trained_object(a), _trained_object(b)
        if a is not None and b is not None and a.kind in _TRAINED and b.kind in _TRAINED \
                and a is not b:
            return False
    if fit.function is call.function and fit.index > call.index and not (
            set(map(id, fit.loops)) & set(map(id, call.loops))):
        return False
    return True


_TRAINED = ("workflow", "estimator")


def _receiver(ev):
    func = ev.node.func
    return func.value if isinstance(func, cst.Attribute) else None
