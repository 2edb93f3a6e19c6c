# select: BF103
# imports workflows.py, which imports this module back (an import cycle)
import numpy as np

import workflows


def prior():
    return {"rate": np.random.exponential(1.0), "loc": np.random.normal()}


def observe(rate, loc):
    return {"y": np.random.normal(loc, rate, size=20)}


def default():
    return workflows.make()
