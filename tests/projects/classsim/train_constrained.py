"""Look-alike of train.py: the adapter constrains the bounded draw."""
import bayesflow as bf

import simulators

simulator = simulators.DDM()
adapter = (bf.Adapter()
           .constrain("a", lower=0.5, upper=2.0)
           .concatenate(["v", "a"], into="inference_variables")
           .rename("x", "summary_variables"))
workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter,
                            summary_network=bf.networks.TimeSeriesNetwork(), standardize="all")
