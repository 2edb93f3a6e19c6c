"""Ranges and the prior drawn over them; main.py takes them with a star import."""
import numpy as np

__all__ = ["RANGES", "prior", "likelihood"]
RANGES = {"k1": (-2, 1), "k2": (-3, 0)}
SHIFTED = {"k1": (0, 1)}


def prior():
    out = {}
    for p, (low, high) in RANGES.items():
        out[p] = np.random.uniform(low, high)
    return out


def likelihood(k1, k2):
    return dict(x=np.random.normal(k1, np.exp(k2), size=(20, 1)))
