"""A class simulator (BayesFlow calls its ``sample``) defined here, used by train.py."""
import numpy as np
from bayesflow.simulators import Simulator


class DDM(Simulator):
    def sample(self, batch_shape, **kwargs):
        v = np.random.normal(0.0, 1.0, size=batch_shape)
        a = np.random.uniform(0.5, 2.0, size=batch_shape)
        x = np.random.normal(v, a, size=batch_shape + (100,))
        return dict(v=v, a=a, x=x)


class Recorder:
    """Not a simulator: no ``sample``."""

    def __init__(self):
        self.rows = []
