# select: BF103
import numpy as np


def prior():
    alpha = np.random.uniform(0.5, 2.0)
    mu = np.random.normal(0.0, 1.0)
    sigma = np.random.gamma(2.0, 1.0)
    return dict(alpha=alpha, mu=mu, sigma=sigma)


def likelihood(alpha, mu, sigma, n_obs=50):
    x = np.random.normal(mu, sigma, size=n_obs) * alpha
    return dict(x=x)
