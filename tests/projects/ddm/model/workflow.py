# select: BF103
import bayesflow as bf

from model.simulation import likelihood, prior


def create_workflow():
    simulator = bf.make_simulator([prior, likelihood])
    adapter = (
        bf.Adapter()
        .as_set(["x"])
        .constrain("sigma", lower=0)
        .concatenate(["alpha", "mu", "sigma"], into="inference_variables")  # expect: BF103
        .concatenate(["x"], into="summary_variables")
    )
    workflow = bf.BasicWorkflow(
        simulator=simulator,
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(),
        standardize="all",
    )
    return workflow, simulator, adapter
