"""A stochastic SIR epidemic observed as a daily time series: the counts go
through a TimeSeriesNetwork; the two rates are positive and constrained in
the adapter. Run: python examples/sir_time_series.py [--smoke]"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import json
import sys
from pathlib import Path

import bayesflow as bf
import numpy as np
from bflint.runtime import check_diagnostics, inspect_history, save_diagnostic_figures, write_report

T, POP = 60, 1000


def prior():
    beta = np.random.lognormal(np.log(0.4), 0.5)
    gamma = np.random.lognormal(np.log(1 / 8), 0.2)
    return {"beta": beta, "gamma": gamma}


def sir(beta, gamma):
    s, i = POP - 5, 5
    cases = np.zeros(T)
    for t in range(T):
        new_inf = np.random.binomial(s, 1 - np.exp(-beta * i / POP))
        new_rec = np.random.binomial(i, 1 - np.exp(-gamma))
        s, i = s - new_inf, i + new_inf - new_rec
        cases[t] = new_inf
    return {"cases": cases}


def save_history(history, path: Path) -> None:
    path.write_text(json.dumps(history.history, indent=1))


def run(smoke: bool) -> None:
    out = Path("sir")
    out.mkdir(exist_ok=True)
    workflow = bf.BasicWorkflow(
        simulator=bf.make_simulator([prior, sir]),
        adapter=(
            bf.Adapter()
            .as_time_series("cases")
            .log(["beta", "gamma"])
            .convert_dtype("float64", "float32")
            .concatenate(["beta", "gamma"], into="inference_variables")
            .rename("cases", "summary_variables")
        ),
        inference_network=bf.networks.CouplingFlow(),
        summary_network=bf.networks.TimeSeriesNetwork(summary_dim=4),
        standardize="all",
    )
    budget = 64 if smoke else 5000
    train, val = workflow.simulate(budget), workflow.simulate(32 if smoke else 300)
    history = workflow.fit_offline(train, epochs=1 if smoke else 100, batch_size=32, validation_data=val)
    save_history(history, out / "history.json")
    training = inspect_history(history)

    test = workflow.simulate(20 if smoke else 300)
    metrics = workflow.compute_default_diagnostics(test_data=test, num_samples=50 if smoke else 1000)
    metrics.to_csv(out / "metrics.csv")
    save_diagnostic_figures(workflow.plot_default_diagnostics(test_data=test, num_samples=50), out)
    write_report(out, title="SIR model", training_report=training, diag_report=check_diagnostics(metrics))


if __name__ == "__main__":
    run("--smoke" in sys.argv)
