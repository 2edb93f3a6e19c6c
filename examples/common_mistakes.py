"""A BayesFlow script with the typical silent mistakes bflint catches.
Each commented line says what goes wrong; run `bflint examples/` to see them."""
import bayesflow as bf
import numpy as np
import os
import pandas as pd

os.environ["KERAS_BACKEND"] = "jax"  # too late: bayesflow was imported above


def prior():
    mu = np.random.normal(0, 1)
    sigma = np.random.gamma(2.0, 1.0)  # positive, but never constrained
    return {"mu": mu, "sigma": sigma}


def observation_model(mu, sigma):
    return {"x": np.random.normal(mu, sigma, size=50)}  # 50 exchangeable draws: a set


simulator = bf.make_simulator([prior, observation_model])

adapter = (
    bf.Adapter()
    .convert_dtype("float64", "float32")
    .concatenate(["mu", "sigma"], into="inference_variables")
    .concatenate(["x"], into="inference_conditions")  # a set flattened into conditions
)

workflow = bf.BasicWorkflow(
    simulator=simulator,
    adapter=adapter,
    inference_variables=["mu", "sigma"],  # silently discarded: adapter= wins
    inference_network=bf.networks.CouplingFlow(depth=12),  # far above the Base size
    standardize="everything",  # not a valid option: nothing is standardized
)

training_data = [simulator.sample(1) for _ in range(1000)]  # one simulation at a time
train = workflow.simulate(5000)
history = workflow.fit_online(epochs=50, verbose=0)  # online first, silent, no validation data
pd.DataFrame(history.history).to_csv("history.csv")  # CSV instead of JSON, never inspected

samples = workflow.sample(conditions={"x": np.zeros((1, 50, 1))}, num_samples=500)
theta = samples["inference_variables"]  # that key does not exist in the output

truth = workflow.simulate(200)
post = workflow.sample(conditions={"x": truth["x"]}, num_samples=500)
lo, hi = np.quantile(post["mu"], [0.05, 0.95], axis=1)
coverage = np.mean((lo <= truth["mu"]) & (truth["mu"] <= hi))  # hand-rolled coverage

figures = workflow.plot_default_diagnostics(test_data=truth)
figures.savefig("diagnostics.png")  # a dict of figures, not one Figure
