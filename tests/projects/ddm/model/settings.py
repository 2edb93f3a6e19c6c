# select: BF103
import bayesflow as bf

from .simulation import prior  # noqa: F401  (re-exported for build.py)


def create_adapter():
    return (
        bf.Adapter()
        .as_set(["x"])
        .concatenate(["alpha", "mu", "sigma"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
