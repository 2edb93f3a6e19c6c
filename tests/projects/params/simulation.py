import bayesflow as bf
import numpy as np


def prior():
    return dict(sigma=np.random.uniform(0.1, 3.0), mu=np.random.normal())


def likelihood(mu, sigma):
    return dict(x=np.random.normal(mu, sigma, size=(50, 1)))


simulator = bf.make_simulator([prior, likelihood])
