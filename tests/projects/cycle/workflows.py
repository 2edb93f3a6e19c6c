# select: BF103
import bayesflow as bf

import sim


def make():
    return bf.BasicWorkflow(
        simulator=bf.make_simulator([sim.prior, sim.observe]),
        inference_variables=["rate", "loc"],  # expect: BF103
        summary_variables=["y"],
    )
