# select: BF103
import bayesflow as bf

from . import simulation
from .settings import create_adapter


def build():
    adapter = create_adapter()
    return bf.BasicWorkflow(  # expect: BF103
        simulator=bf.make_simulator([simulation.prior, simulation.likelihood]),
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(),
    )


def build_constrained():
    adapter = create_adapter().constrain("sigma", lower=0).constrain("alpha", lower=0.5, upper=2)
    return bf.BasicWorkflow(
        simulator=bf.make_simulator([simulation.prior, simulation.likelihood]),
        adapter=adapter,
        summary_network=bf.networks.SetTransformer(),
    )
