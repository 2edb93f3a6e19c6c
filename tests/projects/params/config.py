PARAM_NAMES = ["mu", "sigma"]
CONFIG = {"params": ["mu", "sigma"], "data": "x"}
