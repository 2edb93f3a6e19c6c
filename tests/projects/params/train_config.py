"""Parameter names from the project's config module (a list and a dict entry)."""
import bayesflow as bf

import config
from simulation import simulator
from workflow import create_workflow

adapter = (bf.Adapter().as_set(["x"])
           .concatenate(config.CONFIG["params"], into="inference_variables")  # expect: BF103
           .rename(config.CONFIG["data"], "summary_variables"))
wf = create_workflow(simulator, adapter)
