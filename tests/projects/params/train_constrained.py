"""Look-alike of train.py: the adapter passed to the helper constrains sigma."""
import bayesflow as bf

from simulation import simulator
from workflow import create_workflow

adapter = (bf.Adapter().as_set(["x"]).constrain("sigma", lower=0.1, upper=3.0)
           .concatenate(["mu", "sigma"], into="inference_variables")
           .rename("x", "summary_variables"))
wf = create_workflow(simulator, adapter)
history = wf.fit_offline(wf.simulate(1000), epochs=10, validation_data=wf.simulate(100))
