"""A name the module's __all__ leaves out is not bound by the star import (SHIFTED):
the adapter's keys are unknown, nothing is reported."""
import bayesflow as bf

from solver import *

adapter = bf.Adapter().concatenate(list(SHIFTED), into="inference_variables").rename("x", "inference_conditions")
workflow = bf.BasicWorkflow(simulator=bf.make_simulator([prior, likelihood]), adapter=adapter, standardize="all")
