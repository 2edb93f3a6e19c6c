"""Diagnostics tables shared by the runtime tests."""

# The table measured on BayesFlow 2.1.0 (bayesflow-2.1-facts.md).
FACTS = {
    "NRMSE": {"mu": 0.540565, "sigma": 0.586989},
    "Log Gamma": {"mu": -0.951220, "sigma": -6.680488},
    "Calibration Error": {"mu": 0.079211, "sigma": 0.065921},
    "Posterior Contraction": {"mu": 0.671209, "sigma": 0.635320},
}
# A well-trained two-parameter model.
HEALTHY = {
    "NRMSE": {"a": 0.05, "b": 0.2},
    "Log Gamma": {"a": 1.2, "b": 0.4},
    "Calibration Error": {"a": 0.01, "b": 0.02},
    "Posterior Contraction": {"a": 0.95, "b": 0.85},
}
