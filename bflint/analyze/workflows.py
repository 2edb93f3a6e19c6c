"""Questions about workflows and their training calls shared by rules
(BF105/BF109, BF401/BF404): whether a summary network is given, which fits
train a non-image workflow, how to name a fit in a message."""

from __future__ import annotations

import libcst as cst

from bflint.analyze.networks import image_diffusion
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
    """Training calls except those of a workflow whose inference network is a
    ``DiffusionModel`` with an image subnet (``UNet`` / ``UViT`` / ``ResidualUViT``): the
    guide replaces the standard diagnostics with visual sample grids for image-valued
    targets (``compute_default_diagnostics`` does not accept image-shaped targets)."""
    out = []
    for call in fits:
        wf = model.workflow_of(call.receiver)
        if wf is None or not image_diffusion(model, wf):
            out.append(call)
    return out


def mentions(model, attr: str) -> bool:
    """The script calls or references ``<anything>.<attr>``."""
    if any(c.method == attr or c.callee_name == attr for c in model.calls):
        return True
    return any(a.attr.value == attr for a in model.nodes(cst.Attribute))
