import bayesflow as bf

from simulators import DDM, Recorder

simulator = DDM()
adapter = (bf.Adapter()
           .concatenate(["v", "a"], into="inference_variables")  # expect: BF103
           .rename("x", "summary_variables"))
workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter,
                            summary_network=bf.networks.TimeSeriesNetwork(), standardize="all")
history = workflow.fit_offline(workflow.simulate(1000), epochs=10, validation_data=workflow.simulate(100))
log = Recorder()
