# select: BF000 BF103
# imports a module with a syntax error (its values are unknown: no finding from it)
# and a module that does not exist; its own mistakes are still reported
import bayesflow as bf
import numpy as np

from bad import likelihood, prior
from nowhere import helper  # noqa: F401


def local_prior():
    return {"s": np.random.gamma(1.0, 1.0)}  # expect: BF103


def local_obs(s):
    return {"x": np.random.normal(0, s, size=10)}


wf_unknown = bf.BasicWorkflow(
    simulator=bf.make_simulator([prior, likelihood]),
    inference_variables=["p"],
    summary_variables=["k"],
)
wf_local = bf.BasicWorkflow(
    simulator=bf.make_simulator([local_prior, local_obs]),
    inference_variables=["s"],
    summary_variables=["x"],
)
