import bayesflow as bf

from solver import *

adapter = bf.Adapter().concatenate(list(RANGES), into="inference_variables").rename("x", "inference_conditions")  # expect: BF103
workflow = bf.BasicWorkflow(simulator=bf.make_simulator([prior, likelihood]), adapter=adapter, standardize="all")
