"""Bayesian linear regression with BayesFlow: each data set is a *set* of
(x, y) pairs, so it goes through a SetTransformer, never into
inference_conditions. Run: python examples/linear_regression_set.py [--smoke]
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # before bayesflow/keras are imported

import argparse
import json

import bayesflow as bf
import numpy as np

from bflint.runtime import (
    check_diagnostics,
    inspect_history,
    save_diagnostic_figures,
    suggest_next_steps,
    write_report,
)

N_OBS = 40
RNG = np.random.default_rng(7)


def prior():
    beta = RNG.normal(0.0, 1.0, size=2)  # intercept, slope
    sigma = RNG.gamma(2.0, 0.5)  # bounded: needs .constrain in the adapter
    return {"beta": beta, "sigma": sigma}


def likelihood(beta, sigma):
    x = RNG.uniform(-2.0, 2.0, size=N_OBS)
    y = beta[0] + beta[1] * x + RNG.normal(0.0, sigma, size=N_OBS)
    return {"x": x, "y": y}


def main(smoke: bool) -> None:
    results_dir = "linear-regression"
    os.makedirs(results_dir, exist_ok=True)

    simulator = bf.make_simulator([prior, likelihood])
    adapter = (
        bf.Adapter()
        .as_set(["x", "y"])
        .constrain("sigma", lower=0)
        .convert_dtype("float64", "float32")
        .concatenate(["beta", "sigma"], into="inference_variables")
        .concatenate(["x", "y"], into="summary_variables")
    )
    workflow = bf.BasicWorkflow(
        simulator=simulator,
        adapter=adapter,
        inference_network=bf.networks.FlowMatching(),
        summary_network=bf.networks.SetTransformer(summary_dim=6),
        standardize="all",
        checkpoint_filepath=results_dir,
    )

    n_train, n_val, n_test = (64, 32, 20) if smoke else (20_000, 300, 300)
    epochs = 1 if smoke else 100
    sims = workflow.simulate(n_train + n_val)
    train_data = {k: v[:n_train] for k, v in sims.items()}
    val_data = {k: v[n_train:] for k, v in sims.items()}

    history = workflow.fit_offline(
        data=train_data, epochs=epochs, batch_size=32, validation_data=val_data
    )
    with open(os.path.join(results_dir, "history.json"), "w") as f:
        json.dump(history.history, f)
    training_report = inspect_history(history.history)
    if not training_report["overall"]["ok"]:
        for issue in training_report["overall"]["issues"]:
            print("TRAINING ISSUE:", issue)

    test_data = workflow.simulate(n_test)
    num_samples = 50 if smoke else 1000
    figures = workflow.plot_default_diagnostics(test_data=test_data, num_samples=num_samples)
    save_diagnostic_figures(figures, results_dir)
    metrics = workflow.compute_default_diagnostics(test_data=test_data, num_samples=num_samples)
    metrics.to_csv(os.path.join(results_dir, "metrics.csv"))
    diag_report = check_diagnostics(metrics)

    # Inference on "real" data, then a posterior predictive check that reuses
    # the simulator's own observation model.
    observed = likelihood(beta=np.array([0.5, -1.0]), sigma=0.7)
    conditions = {k: v[None, :, None] for k, v in observed.items()}
    samples = workflow.sample(conditions=conditions, num_samples=num_samples)
    slope_mean = float(samples["beta"][0, :, 1].mean())
    replicated = []
    for s in range(min(50, num_samples)):
        draw = {"beta": samples["beta"][0, s], "sigma": float(samples["sigma"][0, s, 0])}
        replicated.append(likelihood(**draw)["y"])
    ppc_sd = float(np.std([r.std() for r in replicated]))

    write_report(
        results_dir,
        title="Bayesian linear regression",
        setup={"simulations": n_train, "validation": n_val, "epochs": epochs,
               "summary network": "SetTransformer", "inference network": "FlowMatching"},
        training_report=training_report,
        diag_report=diag_report,
        next_steps=suggest_next_steps(training_report, diag_report),
        posterior_summary={"slope (posterior mean)": slope_mean, "sd of replicated sd(y)": ppc_sd},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny budget, 1 epoch")
    main(parser.parse_args().smoke)
