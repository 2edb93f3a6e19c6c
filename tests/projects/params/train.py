from simulation import simulator
from workflow import create_adapter, create_workflow

wf = create_workflow(simulator, create_adapter())  # expect: BF103
history = wf.fit_offline(wf.simulate(1000), epochs=10, validation_data=wf.simulate(100))
