# select: BF000 BF103
# a prior for bayesflow (the file fails to parse)
import numpy as np


def prior():
    return {"p": np.random.beta(1, 1)  # expect: BF000

def likelihood(p):
    return {"k": np.random.binomial(10, p)}
