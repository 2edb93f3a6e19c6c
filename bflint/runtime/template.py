"""Generate a complete, runnable BayesFlow 2.1 script that follows the amortized-workflow guide.

``render(slug, kind)`` returns the script source; ``write_script(slug, kind, output_dir, force)``
writes ``<output_dir>/<slug>.py``.  ``kind`` is one of :data:`KINDS`:

========================  ==================================================================
kind                      model and architecture
========================  ==================================================================
``set``                   i.i.d. Gaussian observations (exchangeable set) ->
                          ``SetTransformer`` summary network, ``FlowMatching``
``time-series``           AR(1) process -> ``TimeSeriesNetwork``, ``FlowMatching``
``image``                 noisy Gaussian blob image as the observation ->
                          ``ConvolutionalNetwork``, ``FlowMatching``
``vector``                five noisy readings of an exponential decay at fixed times (a
                          fixed-length vector with meaningful order) -> no summary network,
                          routed via ``inference_conditions``, ``FlowMatching``
``image-target``          image denoising: the clean image is the inference target ->
                          ``DiffusionModel(subnet=bf.networks.UNet)``; visual sample grids
                          instead of the standard diagnostics
========================  ==================================================================

Every generated script writes the files listed in :data:`ARTEFACTS` into ``<slug>/`` next to
itself; ``--help`` lists its options (budget, epochs, batch size, test sets, draws, seed,
``--observed FILE``, ``--smoke`` for a tiny end-to-end run).
"""

from __future__ import annotations

import keyword
import os
import re
import stat
import tempfile
import textwrap

__all__ = ["KINDS", "TemplateError", "render", "write_script"]

KINDS = ("set", "time-series", "image", "vector", "image-target")

_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class TemplateError(ValueError):
    """Invalid slug or data kind, or the output file exists."""


# --------------------------------------------------------------------------------------
# modality-specific pieces
# --------------------------------------------------------------------------------------

_MODELS: dict[str, dict[str, str]] = {}

_MODELS["set"] = dict(
    description="exchangeable (i.i.d.) Gaussian observations with unknown mean and scale",
    model='''
N_OBS = 50  # observations per data set (an exchangeable set)


def prior():
    mu = np.random.normal(0.0, 1.0)
    sigma = np.random.gamma(shape=2.0, scale=0.5)  # bounded: sigma > 0
    return {"mu": mu, "sigma": sigma}


def observation_model(mu, sigma):
    x = np.random.normal(mu, sigma, size=N_OBS)
    return {"x": x}
''',
    params='["mu", "sigma"]',
    adapter='''
adapter = (
    bf.Adapter()
    .as_set(["x"])  # (batch, N_OBS) -> (batch, N_OBS, 1): an exchangeable set
    .constrain("sigma", lower=0)
    .convert_dtype("float64", "float32")
    .concatenate(["mu", "sigma"], into="inference_variables")
    .concatenate(["x"], into="summary_variables")
)
''',
    networks='''
# Set data -> SetTransformer (Base size = BayesFlow's defaults); summary_dim = 2 x 2 parameters.
summary_network = bf.networks.SetTransformer(summary_dim=4)
inference_network = bf.networks.FlowMatching()
''',
    data_key="x",
    ppc='''
def ppc_statistics(x):
    """Test quantities compared between observed and replicated data in the posterior predictive check."""
    x = np.asarray(x).reshape(-1)
    return {"mean": float(np.mean(x)), "standard deviation": float(np.std(x))}
''',
)

_MODELS["time-series"] = dict(
    description="an AR(1) time series with unknown autoregression coefficient and noise scale",
    model='''
N_STEPS = 60  # length of each time series


def prior():
    phi = np.random.uniform(-0.9, 0.9)  # bounded: -0.9 < phi < 0.9
    sigma = np.random.gamma(shape=2.0, scale=0.5)  # bounded: sigma > 0
    return {"phi": phi, "sigma": sigma}


def observation_model(phi, sigma):
    noise = np.random.normal(0.0, 1.0, size=N_STEPS)
    x = np.zeros(N_STEPS)
    x[0] = sigma * noise[0]
    for t in range(1, N_STEPS):
        x[t] = phi * x[t - 1] + sigma * noise[t]
    return {"x": x}
''',
    params='["phi", "sigma"]',
    adapter='''
adapter = (
    bf.Adapter()
    .as_time_series(["x"])  # (batch, N_STEPS) -> (batch, N_STEPS, 1): an ordered sequence
    .constrain("phi", lower=-0.9, upper=0.9)
    .constrain("sigma", lower=0)
    .convert_dtype("float64", "float32")
    .concatenate(["phi", "sigma"], into="inference_variables")
    .concatenate(["x"], into="summary_variables")
)
''',
    networks='''
# Time series -> TimeSeriesNetwork (Base size = BayesFlow's defaults); summary_dim = 2 x 2 parameters.
summary_network = bf.networks.TimeSeriesNetwork(summary_dim=4)
inference_network = bf.networks.FlowMatching()
''',
    data_key="x",
    ppc='''
def ppc_statistics(x):
    """Test quantities compared between observed and replicated data in the posterior predictive check."""
    x = np.asarray(x).reshape(-1)
    lag1 = float(np.corrcoef(x[:-1], x[1:])[0, 1])
    return {"standard deviation": float(np.std(x)), "lag-1 autocorrelation": lag1}
''',
)

_MODELS["image"] = dict(
    description="a noisy image of a Gaussian blob whose position and width are unknown",
    model='''
IMAGE_SIZE = 16  # images are IMAGE_SIZE x IMAGE_SIZE x 1
GRID = np.linspace(0.0, 1.0, IMAGE_SIZE)
NOISE_SD = 0.1


def prior():
    cx = np.random.uniform(0.2, 0.8)  # bounded: blob centre inside the image
    cy = np.random.uniform(0.2, 0.8)
    width = np.random.gamma(shape=5.0, scale=0.02)  # bounded: width > 0
    return {"cx": cx, "cy": cy, "width": width}


def observation_model(cx, cy, width):
    xx, yy = np.meshgrid(GRID, GRID, indexing="xy")
    blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2.0 * width**2))
    image = blob + np.random.normal(0.0, NOISE_SD, size=blob.shape)
    return {"image": image[..., None]}
''',
    params='["cx", "cy", "width"]',
    adapter='''
adapter = (
    bf.Adapter()
    .constrain(["cx", "cy"], lower=0.2, upper=0.8)
    .constrain("width", lower=0)
    .convert_dtype("float64", "float32")
    .concatenate(["cx", "cy", "width"], into="inference_variables")
    .concatenate(["image"], into="summary_variables")  # (batch, H, W, 1) image
)
''',
    networks='''
# Images as observations -> ConvolutionalNetwork (Base size = BayesFlow's defaults);
# summary_dim = 2 x 3 parameters.
summary_network = bf.networks.ConvolutionalNetwork(summary_dim=6)
inference_network = bf.networks.FlowMatching()
''',
    data_key="image",
    ppc='''
def ppc_statistics(image):
    """Test quantities compared between observed and replicated data in the posterior predictive check."""
    image = np.asarray(image)
    return {"total intensity": float(np.sum(image)), "peak intensity": float(np.max(image))}
''',
)

_MODELS["vector"] = dict(
    description="five noisy readings of an exponential decay at fixed, known times",
    model='''
TIMES = np.array([0.5, 1.0, 2.0, 4.0, 8.0])  # fixed measurement times: element order is meaningful
NOISE_SD = 0.05


def prior():
    amplitude = np.random.lognormal(mean=0.0, sigma=0.3)  # bounded: amplitude > 0
    rate = np.random.gamma(shape=2.0, scale=0.2)  # bounded: rate > 0
    return {"amplitude": amplitude, "rate": rate}


def observation_model(amplitude, rate):
    readings = amplitude * np.exp(-rate * TIMES) + NOISE_SD * np.random.standard_normal(TIMES.shape)
    return {"readings": readings}
''',
    params='["amplitude", "rate"]',
    adapter='''
adapter = (
    bf.Adapter()
    .constrain(["amplitude", "rate"], lower=0)
    .convert_dtype("float64", "float32")
    .concatenate(["amplitude", "rate"], into="inference_variables")
    .concatenate(["readings"], into="inference_conditions")
)
''',
    networks='''
# A fixed-length vector of named readings -> no summary network; routed via inference_conditions.
inference_network = bf.networks.FlowMatching()
''',
    data_key="readings",
    ppc='''
def ppc_statistics(readings):
    """Test quantities compared between observed and replicated data in the posterior predictive check."""
    readings = np.asarray(readings).reshape(-1)
    return {"first reading": float(readings[0]), "last reading": float(readings[-1])}
''',
)


_HEADER = '''"""{slug}: amortized Bayesian inference with BayesFlow 2.1.

Model: {description}.

Generated by `bflint new {slug} --data {kind}`; it follows the amortized-workflow guide:
simulator -> explicit adapter -> networks -> simulation checks -> offline training with
validation data -> training inspection -> in-silico diagnostics -> inference -> posterior
predictive check -> report.

    python {slug}.py --smoke                  # tiny end-to-end check of the pipeline (about a minute)
    python {slug}.py --simulations 4000 --epochs 30 --test-sets 100 --draws 300   # a laptop-sized run
    python {slug}.py                          # the guide's pilot budget (long on a CPU)
    python {slug}.py --observed data.npy      # real data for the inference and the PPC (.npy/.npz/.csv)

Artefacts are written to ./{slug}/ next to this script: {artefacts}.
Replace the model (and pass your data with --observed) to make it yours.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # must happen before bayesflow / keras are imported

import argparse
import json
import time

import matplotlib

matplotlib.use("Agg")  # write figures to files; no display needed
import matplotlib.pyplot as plt
import numpy as np

# The guide's pilot budget for a fast simulator, and the tiny --smoke budget.
FULL_BUDGET = {{"simulations": 20_000, "validation": 300, "epochs": 100, "batch_size": 32, "test_sets": 300,
               "draws": 1000}}
SMOKE_BUDGET = {{"simulations": 64, "validation": 32, "epochs": 2, "batch_size": 32, "test_sets": 20, "draws": 50}}

parser = argparse.ArgumentParser(
    description="Amortized Bayesian workflow for {slug}.",
    epilog="Defaults are the guide's pilot budget (20000 simulations, 100 epochs, 300 test sets x 1000 draws); "
    "--smoke shrinks every default; explicit options override both.",
)
parser.add_argument("--smoke", action="store_true",
                    help="tiny budget (2 epochs): checks the pipeline end to end, results are meaningless")
parser.add_argument("--simulations", type=int, help="training simulations (default 20000; smoke 64)")
parser.add_argument("--validation", type=int, help="held-out validation simulations (default 300; smoke 32)")
parser.add_argument("--epochs", type=int, help="training epochs (default 100; smoke 2)")
parser.add_argument("--batch-size", type=int, help="training batch size (default 32)")
parser.add_argument("--test-sets", type=int, help="held-out simulations for the diagnostics (default 300; smoke 20)")
parser.add_argument("--draws", type=int, help="posterior draws per data set (default 1000; smoke 50)")
parser.add_argument("--sample-batch-size", type=int, default=16,
                    help="test sets sampled at a time in the diagnostics; bounds memory (default 16)")
parser.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
parser.add_argument("--observed", metavar="FILE",
                    help="real observed data (.npy, .npz or .csv) shaped like one simulated data set")
args = parser.parse_args()  # before the heavy imports: --help answers at once

import bayesflow as bf
import keras

{runtime_imports}

budget = dict(SMOKE_BUDGET if args.smoke else FULL_BUDGET)
for key in budget:
    if getattr(args, key) is not None:
        budget[key] = getattr(args, key)
N_PILOT, N_VAL, N_TEST = budget["simulations"], budget["validation"], budget["test_sets"]
EPOCHS, BATCH_SIZE, NUM_SAMPLES = budget["epochs"], budget["batch_size"], budget["draws"]
SAMPLE_BATCH_SIZE = args.sample_batch_size
N_PPC = min(50, NUM_SAMPLES)  # posterior draws used for the posterior predictive check
SEED = args.seed

# Seeds Python, NumPy's global generator (used by the priors and the observation model) and the backend.
keras.utils.set_random_seed(SEED)
rng = np.random.default_rng(SEED)  # choices the script makes itself (which draws go into the PPC)

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "{slug}")
os.makedirs(RESULTS_DIR, exist_ok=True)
timings = {{}}
started = time.perf_counter()

# --------------------------------------------------
# 1. Prior + observation model -> simulator
# --------------------------------------------------
'''

_BODY = '''

PARAM_NAMES = {params}
HAS_SUMMARY_NETWORK = {has_summary}

# bf.make_simulator returns a batched simulator: use workflow.simulate(N), never a Python loop.
simulator = bf.make_simulator([prior, observation_model])

# --------------------------------------------------
# 2. Adapter: routing, constraints, dtypes
# --------------------------------------------------
{adapter}
# --------------------------------------------------
# 3. Networks (start with the Base configuration)
# --------------------------------------------------
{networks}
# --------------------------------------------------
# 4. Workflow
# --------------------------------------------------

workflow = bf.BasicWorkflow(
    simulator=simulator,
    adapter=adapter,
    inference_network=inference_network,{summary_kwarg}
    standardize="all",
    checkpoint_filepath=RESULTS_DIR,
)

# --------------------------------------------------
# 5. Pre-simulate the pilot budget (offline first) and check the simulations
# --------------------------------------------------

t0 = time.perf_counter()
all_sims = workflow.simulate(N_PILOT + N_VAL)
train_data = {{k: v[:N_PILOT] for k, v in all_sims.items()}}
val_data = {{k: v[N_PILOT:] for k, v in all_sims.items()}}
timings["simulation"] = time.perf_counter() - t0

observed = None
if args.observed:
    try:
        observed = load_observed(args.observed, "{data_key}", all_sims["{data_key}"], variable_size={variable_size})
    except ObservedDataError as exc:
        raise SystemExit(f"error: {{exc}}")

simulation_report = check_simulations(
    all_sims, observed, parameters=PARAM_NAMES, adapter=adapter, standardize="all", results_dir=RESULTS_DIR
)
for issue in simulation_report["overall"]["issues"]:
    print(f"SIMULATION CHECK: {{issue}}")
if simulation_report["checks"]["finite"]["status"] == "fail":
    raise SystemExit("the simulations contain NaN/inf: fix the simulator first (see above)")

# --------------------------------------------------
# 6. Train offline, save and inspect the history
# --------------------------------------------------

t0 = time.perf_counter()
history = workflow.fit_offline(
    data=train_data,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=val_data,
)
timings["training"] = time.perf_counter() - t0

with open(os.path.join(RESULTS_DIR, "history.json"), "w") as f:
    json.dump(history.history, f)

training_report = inspect_history(history.history, has_summary_network=HAS_SUMMARY_NETWORK)
print(json.dumps(training_report["overall"], indent=2))
if not training_report["overall"]["ok"]:
    print("TRAINING ISSUES - address before trusting the results:")
    for issue in training_report["overall"]["issues"]:
        print(f"  - {{issue}}")
'''

_DIAGNOSTICS = '''
# --------------------------------------------------
# 7. In-silico diagnostics on held-out simulations
# --------------------------------------------------

test_data = workflow.simulate(N_TEST)

# Sample the posterior ONCE, a few test sets at a time (bounded memory), and pass the draws to
# both diagnostics calls (each would otherwise sample all test sets at once, again).
t0 = time.perf_counter()
diag_samples = workflow.sample(conditions=test_data, num_samples=NUM_SAMPLES, batch_size=SAMPLE_BATCH_SIZE)
timings["diagnostics_sampling"] = time.perf_counter() - t0

metrics = workflow.compute_default_diagnostics(test_data=test_data, samples=diag_samples)
# The direction of a miscalibration: spread of BayesFlow's posterior z-scores over the test sets.
z_sd = z_score_sd_row(diag_samples, test_data, PARAM_NAMES)
metrics.loc[Z_SD] = [z_sd.get(str(name), float("nan")) for name in metrics.columns]
metrics.to_csv(os.path.join(RESULTS_DIR, "metrics.csv"))
print(metrics)

figures = workflow.plot_default_diagnostics(test_data=test_data, samples=diag_samples)
figures["calibration_histogram"] = bf.diagnostics.plots.calibration_histogram(
    estimates=diag_samples, targets=test_data, variable_keys=PARAM_NAMES
)  # SBC rank histogram
save_diagnostic_figures(figures, RESULTS_DIR)
timings["diagnostics"] = time.perf_counter() - t0

diag_report = check_diagnostics(metrics)
for name, summary in diag_report["summary"].items():
    print(f"{{name}}: {{summary}}")
'''

_INFERENCE = '''
# --------------------------------------------------
# 8. Amortized inference on observed data
# --------------------------------------------------

if observed is not None:
    conditions = observed
    data_note = f"real data from {{os.path.basename(args.observed)}}"
else:
    # No --observed FILE: a simulated stand-in (one data set), so the truth is known.
    stand_in = workflow.simulate(1)
    conditions = {{"{data_key}": stand_in["{data_key}"]}}
    data_note = "a simulated stand-in data set (pass --observed FILE for real data)"

samples = workflow.sample(conditions=conditions, num_samples=NUM_SAMPLES)
# samples uses the original parameter names, each of shape (1, NUM_SAMPLES, 1)

posterior_summary = {{}}
for name in PARAM_NAMES:
    draws = samples[name][0, :, 0]
    q5, q50, q95 = np.quantile(draws, [0.05, 0.5, 0.95])
    posterior_summary[name] = {{
        "mean": float(np.mean(draws)),
        "sd": float(np.std(draws)),
        "5%": float(q5),
        "median": float(q50),
        "95%": float(q95),
    }}
    if observed is None:
        posterior_summary[name]["simulated truth"] = float(stand_in[name][0, 0])
print(json.dumps(posterior_summary, indent=2))

# --------------------------------------------------
# 9. Posterior predictive check: reuse the observation model
# --------------------------------------------------

{ppc}

observed_quantities = ppc_statistics(conditions["{data_key}"][0])
replicated = {{name: [] for name in observed_quantities}}
ppc_draws = rng.choice(NUM_SAMPLES, size=N_PPC, replace=False)  # N_PPC distinct posterior draws
for s in ppc_draws:
    theta_s = {{name: float(samples[name][0, s, 0]) for name in PARAM_NAMES}}
    x_rep = observation_model(**theta_s)["{data_key}"]
    for name, value in ppc_statistics(x_rep).items():
        replicated[name].append(value)

ppc_figure, axes = plt.subplots(1, len(replicated), figsize=(4 * len(replicated), 3))
ppc_results = {{}}
for ax, (name, values) in zip(np.atleast_1d(axes), replicated.items()):
    ax.hist(values, bins=15, color="#8fa8c8", edgecolor="white")
    ax.axvline(observed_quantities[name], color="black", linewidth=2, label="observed")
    ax.set_title(name)
    ax.legend()
    ppc_results[name] = {{
        "observed": observed_quantities[name],
        "replicated 5%": float(np.quantile(values, 0.05)),
        "replicated 95%": float(np.quantile(values, 0.95)),
        "share of replications below observed": float(np.mean(np.asarray(values) < observed_quantities[name])),
    }}
ppc_figure.tight_layout()

# --------------------------------------------------
# 10. Report and machine-readable files
# --------------------------------------------------

next_steps = suggest_next_steps(training_report, diag_report, has_summary_network=HAS_SUMMARY_NETWORK)
timings["total"] = time.perf_counter() - started
info = run_info(seed=SEED, budget=budget, timings=timings, smoke=args.smoke, data=data_note)
write_json(os.path.join(RESULTS_DIR, "training_report.json"),
           {{"training": training_report, "simulations": simulation_report, "run": info}})
write_json(os.path.join(RESULTS_DIR, "diagnostics.json"),
           {{"diagnostics": diag_report, "next_steps": next_steps, "posterior_summary": posterior_summary,
            "posterior_predictive": ppc_results, "run": info}})
report_path = write_report(
    RESULTS_DIR,
    title="{slug}: amortized Bayesian workflow report",
    setup={{
        "model": "{description}",
        "parameters": ", ".join(PARAM_NAMES),
        "data": "{kind}",
        "summary network": {summary_label},
        "inference network": type(inference_network).__name__,
        "simulation budget (train / validation / test)": f"{{N_PILOT}} / {{N_VAL}} / {{N_TEST}}",
        "epochs / batch size": f"{{EPOCHS}} / {{BATCH_SIZE}}",
        "posterior draws for diagnostics": NUM_SAMPLES,
        "seed": SEED,
        "smoke run": args.smoke,
        "time (simulation / training / diagnostics)": f"{{timings['simulation']:.0f}} s / "
        f"{{timings['training']:.0f}} s / {{timings['diagnostics']:.0f}} s",
        "peak memory": f"{{info['peak_memory_mb']}} MB",
        "versions": ", ".join(f"{{k}} {{v}}" for k, v in info["versions"].items() if v),
    }},
    simulation_report=simulation_report,
    training_report=training_report,
    diag_report=diag_report,
    next_steps=next_steps,
    posterior_summary=posterior_summary,
    real_data=observed is not None,
    data_note=data_note,
    ppc_figures={{"test quantities": ppc_figure}},
    ppc_results=ppc_results,
)
print(f"report written to {{report_path}}")
'''


# --------------------------------------------------------------------------------------
# image-target (diffusion model over images; visual sample grids instead of diagnostics)
# --------------------------------------------------------------------------------------

_IMAGE_TARGET = '''
IMAGE_SIZE = 16  # images are IMAGE_SIZE x IMAGE_SIZE x 1
GRID = np.linspace(0.0, 1.0, IMAGE_SIZE)
NOISE_SD = 0.3


def prior():
    cx = np.random.uniform(0.2, 0.8)
    cy = np.random.uniform(0.2, 0.8)
    xx, yy = np.meshgrid(GRID, GRID, indexing="xy")
    clean = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2.0 * 0.12**2))
    return {"clean": clean[..., None]}


def observation_model(clean):
    noisy = clean + np.random.normal(0.0, NOISE_SD, size=clean.shape)
    return {"noisy": noisy}


# bf.make_simulator returns a batched simulator: use workflow.simulate(N), never a Python loop.
simulator = bf.make_simulator([prior, observation_model])

# --------------------------------------------------
# 2. Adapter: the clean image is the inference target; the noisy image is a
#    spatially aligned condition, concatenated channel-wise by the UNet.
# --------------------------------------------------

adapter = (
    bf.Adapter()
    .convert_dtype("float64", "float32")
    .concatenate(["clean"], into="inference_variables")
    .concatenate(["noisy"], into="inference_conditions")
)

# --------------------------------------------------
# 3. Network: image-valued target -> DiffusionModel with an image subnet (UNet)
# --------------------------------------------------

# --smoke shrinks the UNet and uses a fixed-step sampler so the pipeline check finishes quickly on a
# CPU; the full run uses the Base (default) UNet and BayesFlow's default adaptive sampler.
UNET_KWARGS = {{"widths": (16, 32), "attn_stage": (False, False)}} if args.smoke else {{}}
INTEGRATE_KWARGS = {{"method": "euler", "steps": 10}} if args.smoke else {{}}
inference_network = bf.networks.DiffusionModel(
    subnet=bf.networks.UNet,
    subnet_kwargs=UNET_KWARGS,
    integrate_kwargs=INTEGRATE_KWARGS,
)

# --------------------------------------------------
# 4. Workflow
# --------------------------------------------------

workflow = bf.BasicWorkflow(
    simulator=simulator,
    adapter=adapter,
    inference_network=inference_network,
    standardize="all",
    checkpoint_filepath=RESULTS_DIR,
)

# --------------------------------------------------
# 5. Pre-simulate the pilot budget (offline first)
# --------------------------------------------------

t0 = time.perf_counter()
all_sims = workflow.simulate(N_PILOT + N_VAL)
train_data = {{k: v[:N_PILOT] for k, v in all_sims.items()}}
val_data = {{k: v[N_PILOT:] for k, v in all_sims.items()}}
timings["simulation"] = time.perf_counter() - t0

observed = None
if args.observed:
    try:
        observed = load_observed(args.observed, "noisy", all_sims["noisy"])
    except ObservedDataError as exc:
        raise SystemExit(f"error: {{exc}}")

# The clean image is the target, not a bounded parameter: only the data checks apply.
simulation_report = check_simulations(all_sims, observed, standardize="all", results_dir=RESULTS_DIR)
for issue in simulation_report["overall"]["issues"]:
    print(f"SIMULATION CHECK: {{issue}}")
if simulation_report["checks"]["finite"]["status"] == "fail":
    raise SystemExit("the simulations contain NaN/inf: fix the simulator first (see above)")

# --------------------------------------------------
# 6. Train offline, save and inspect the history
# --------------------------------------------------

t0 = time.perf_counter()
history = workflow.fit_offline(
    data=train_data,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=val_data,
)
timings["training"] = time.perf_counter() - t0

with open(os.path.join(RESULTS_DIR, "history.json"), "w") as f:
    json.dump(history.history, f)

loss_figure = bf.diagnostics.plots.loss(history)
loss_figure.savefig(os.path.join(RESULTS_DIR, "loss.png"), dpi=150, bbox_inches="tight")
plt.close(loss_figure)

training_report = inspect_history(history.history, has_summary_network=False)
print(json.dumps(training_report["overall"], indent=2))

# --------------------------------------------------
# 7. Diagnostics for image targets: visual sample grids on held-out simulations
#    (the guide: the standard diagnostic report does not apply to image-valued targets)
# --------------------------------------------------

t0 = time.perf_counter()
test_data = workflow.simulate(N_TEST)

n_show = min(4, N_TEST)
samples = workflow.sample(
    conditions={{"noisy": test_data["noisy"][:n_show]}}, num_samples=NUM_GRID_SAMPLES
)
# samples["clean"] has shape (n_show, NUM_GRID_SAMPLES, IMAGE_SIZE, IMAGE_SIZE, 1)

grid, axes = plt.subplots(n_show, 4, figsize=(8, 2 * n_show), squeeze=False)
for i in range(n_show):
    panels = [
        ("noisy (condition)", test_data["noisy"][i, ..., 0]),
        ("clean (truth)", test_data["clean"][i, ..., 0]),
        ("posterior mean", np.mean(samples["clean"][i], axis=0)[..., 0]),
        ("posterior sd", np.std(samples["clean"][i], axis=0)[..., 0]),
    ]
    for ax, (label, img) in zip(axes[i], panels):
        ax.imshow(img, cmap="viridis")
        ax.set_xticks([])
        ax.set_yticks([])
        if i == 0:
            ax.set_title(label, fontsize=8)
grid.tight_layout()
grid.savefig(os.path.join(RESULTS_DIR, "sample_grid.png"), dpi=120)
plt.close(grid)
figures_shown = {{
    "Posterior sample grid on held-out simulations (noisy condition, truth, posterior mean, posterior sd)":
    "sample_grid.png"
}}

if observed is not None:
    obs_samples = workflow.sample(conditions=observed, num_samples=NUM_GRID_SAMPLES)
    obs_grid, axes = plt.subplots(1, 3, figsize=(6, 2), squeeze=False)
    for ax, (label, img) in zip(axes[0], [
        ("observed (condition)", observed["noisy"][0, ..., 0]),
        ("posterior mean", np.mean(obs_samples["clean"][0], axis=0)[..., 0]),
        ("posterior sd", np.std(obs_samples["clean"][0], axis=0)[..., 0]),
    ]):
        ax.imshow(img, cmap="viridis")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(label, fontsize=8)
    obs_grid.tight_layout()
    obs_grid.savefig(os.path.join(RESULTS_DIR, "observed_grid.png"), dpi=120)
    plt.close(obs_grid)
    figures_shown["Posterior for the observed image (condition, posterior mean, posterior sd)"] = "observed_grid.png"
timings["diagnostics"] = time.perf_counter() - t0

# --------------------------------------------------
# 8. Report (training assessment + sample grid; no standard diagnostics for image targets)
# --------------------------------------------------

timings["total"] = time.perf_counter() - started
info = run_info(seed=SEED, budget=budget, timings=timings, smoke=args.smoke)
grid_steps = [
    "Inspect sample_grid.png: the posterior mean should recover the clean image from the noisy condition, "
    "and the posterior standard deviation should be largest where the noisy image is ambiguous. If the "
    "means stay noisy after sufficient training, train longer before scaling the UNet up (UViT, ResidualUViT)."
]
write_json(os.path.join(RESULTS_DIR, "training_report.json"),
           {{"training": training_report, "simulations": simulation_report, "run": info}})
write_json(os.path.join(RESULTS_DIR, "diagnostics.json"),
           {{"diagnostics": None, "figures": list(figures_shown.values()),
            "next_steps": training_report["overall"]["issues"] + grid_steps, "run": info,
            "note": "image-valued target: no per-parameter diagnostics; judge the sample grids"}})
report_path = write_report(
    RESULTS_DIR,
    title="{slug}: image-target workflow report",
    setup={{
        "model": "denoising of a Gaussian blob image (image-valued inference target)",
        "inference network": "DiffusionModel(subnet=UNet)",
        "simulation budget (train / validation / test)": f"{{N_PILOT}} / {{N_VAL}} / {{N_TEST}}",
        "epochs / batch size": f"{{EPOCHS}} / {{BATCH_SIZE}}",
        "seed": SEED,
        "smoke run": args.smoke,
        "peak memory": f"{{info['peak_memory_mb']}} MB",
    }},
    simulation_report=simulation_report,
    training_report=training_report,
    next_steps=training_report["overall"]["issues"] + grid_steps,
    extra_figures=figures_shown,
    notes="Image-valued target: the standard per-parameter diagnostics do not apply; judge the posterior "
    "from the visual sample grid on held-out simulations.",
)
print(f"report written to {{report_path}}")
'''

_IMAGE_TARGET_BUDGET = '''
NUM_GRID_SAMPLES = 4 if args.smoke else 16  # posterior draws per image for the sample grid
'''


def _check_slug(slug: str) -> None:
    if not isinstance(slug, str) or not _SLUG_RE.fullmatch(slug):  # fullmatch: "$" matches before a final "\n"
        raise TemplateError(
            f"invalid slug {slug!r}: use letters, digits, '-', '_' or '.', starting with a letter or digit "
            "(e.g. 'churn-model')"
        )
    if keyword.iskeyword(slug):
        raise TemplateError(f"invalid slug {slug!r}: it is a Python keyword")


_IMPORTS = """from bflint.runtime import (
    check_diagnostics,
    check_simulations,
    inspect_history,
    save_diagnostic_figures,
    suggest_next_steps,
    write_report,
)
from bflint.runtime.check_diagnostics import Z_SD, z_score_sd_row
from bflint.runtime.workflow_io import ObservedDataError, load_observed, run_info, write_json"""

_IMAGE_TARGET_IMPORTS = """from bflint.runtime import check_simulations, inspect_history, write_report
from bflint.runtime.workflow_io import ObservedDataError, load_observed, run_info, write_json"""

#: What each kind of script writes into ``<slug>/`` (the script's docstring and docs/runtime.md say so).
ARTEFACTS = {
    "standard": ["history.json", "prior_predictive.png", "loss.png", "recovery.png", "calibration_ecdf.png",
                 "calibration_histogram.png", "coverage.png", "z_score_contraction.png", "metrics.csv",
                 "ppc_test_quantities.png", "model.keras", "training_report.json", "diagnostics.json", "report.md"],
    "image-target": ["history.json", "prior_predictive.png", "loss.png", "sample_grid.png",
                     "observed_grid.png (with --observed)", "model.keras", "training_report.json", "diagnostics.json",
                     "report.md"],
}

#: Data kinds whose observed data set may have another size than the simulated ones.
_VARIABLE_SIZE = {"set": True, "time-series": True, "image": False, "vector": False}


def _artefact_text(kind: str) -> str:
    names = ARTEFACTS["image-target" if kind == "image-target" else "standard"]
    return textwrap.fill(", ".join(names), width=90, subsequent_indent="")


def render(slug: str, kind: str) -> str:
    """Return the source of a complete workflow script for ``slug`` and data ``kind``."""
    _check_slug(slug)
    if kind not in KINDS:
        raise TemplateError(f"unknown data kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind == "image-target":
        header = _HEADER.format(
            slug=slug, kind=kind, description="image denoising, the clean image is the inference target",
            artefacts=_artefact_text(kind), runtime_imports=_IMAGE_TARGET_IMPORTS,
        )
        body = _IMAGE_TARGET_BUDGET + _IMAGE_TARGET.replace("{slug}", slug).replace("{{", "{").replace("}}", "}")
        return header + body
    m = _MODELS[kind]
    has_summary = kind != "vector"
    header = _HEADER.format(slug=slug, kind=kind, description=m["description"], artefacts=_artefact_text(kind),
                            runtime_imports=_IMPORTS)
    body = _BODY.format(
        params=m["params"],
        adapter=m["adapter"],
        networks=m["networks"],
        summary_kwarg="\n    summary_network=summary_network," if has_summary else "",
        has_summary=has_summary,
        data_key=m["data_key"],
        variable_size=_VARIABLE_SIZE[kind],
    )
    summary_label = "type(summary_network).__name__" if has_summary else '"none (vector via inference_conditions)"'
    rest = _DIAGNOSTICS.format() + _INFERENCE.format(
        data_key=m["data_key"],
        ppc=m["ppc"],
        slug=slug,
        description=m["description"],
        kind=kind,
        summary_label=summary_label,
    )
    return header + textwrap.dedent(m["model"]) + body + rest


def write_script(slug: str, kind: str, output_dir: str | os.PathLike[str] = ".", force: bool = False) -> str:
    """Write ``<output_dir>/<slug>.py`` and return its path (``TemplateError`` if it exists and not ``force``).

    The file is written atomically (a temporary file in the same directory, then ``os.replace``),
    so a symbolic link at the path is replaced itself (``force``) and never written through.
    """
    source = render(slug, kind)
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(os.fspath(output_dir), f"{slug}.py")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise TemplateError(f"{path} is a directory; choose another slug or --output-dir")
        if stat.S_ISLNK(st.st_mode) and not force:
            raise TemplateError(
                f"{path} is a symbolic link (to {os.readlink(path)!r}); it is not followed. "
                "Remove it, or pass --force to replace the link itself"
            )
        if not force:
            raise TemplateError(f"{path} already exists; pass --force to overwrite it")
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            raise TemplateError(f"{path} is not a regular file; it is not replaced")
    fd, tmp = tempfile.mkstemp(prefix=f".{slug}.", suffix=".py.tmp", dir=os.fspath(output_dir))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(source)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
