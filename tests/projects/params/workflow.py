import bayesflow as bf


def create_adapter():
    return (bf.Adapter().as_set(["x"])
            .concatenate(["mu", "sigma"], into="inference_variables")
            .rename("x", "summary_variables"))


def create_workflow(simulator, adapter):
    return bf.BasicWorkflow(simulator=simulator, adapter=adapter,
                            summary_network=bf.networks.SetTransformer(), standardize="all")
