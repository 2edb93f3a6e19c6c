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

Every generated script writes ``<slug>/history.json``, the diagnostic figures, ``metrics.csv``
and ``report.md`` next to itself, and accepts ``--smoke`` for a tiny end-to-end run.
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
simulator -> explicit adapter -> networks -> offline training with validation data ->
training inspection -> in-silico diagnostics -> inference -> posterior predictive check -> report.

    python {slug}.py            # full pilot run (the guide's budget: long on a CPU)
    python {slug}.py --smoke    # tiny end-to-end check of the pipeline (about a minute on a CPU)

Artefacts are written to ./{slug}/ next to this script: history.json, loss.png, recovery.png,
calibration_ecdf.png, coverage.png, z_score_contraction.png, metrics.csv, report.md.
Replace the model, and the stand-in "observed" data set, with your own.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # must happen before bayesflow / keras are imported

import argparse
import json

import matplotlib

matplotlib.use("Agg")  # write figures to files; no display needed
import matplotlib.pyplot as plt
import numpy as np

import bayesflow as bf

from bflint.runtime import (
    check_diagnostics,
    inspect_history,
    save_diagnostic_figures,
    suggest_next_steps,
    write_report,
)

parser = argparse.ArgumentParser(description="Amortized Bayesian workflow for {slug}.")
parser.add_argument(
    "--smoke",
    action="store_true",
    help="tiny simulation budget and 2 epochs: checks the pipeline end to end, results are meaningless",
)
args = parser.parse_args()

if args.smoke:
    N_PILOT, N_VAL, N_TEST = 64, 32, 20
    EPOCHS, BATCH_SIZE, NUM_SAMPLES = 2, 32, 50
else:
    # Fast simulator: the guide's pilot budget (20 000 simulations, 100 epochs).
    N_PILOT, N_VAL, N_TEST = 20_000, 300, 300
    EPOCHS, BATCH_SIZE, NUM_SAMPLES = 100, 32, 1000
N_PPC = min(50, NUM_SAMPLES)  # posterior draws used for the posterior predictive check

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "{slug}")
os.makedirs(RESULTS_DIR, exist_ok=True)

# --------------------------------------------------
# 1. Prior + observation model -> simulator
# --------------------------------------------------
'''

_BODY = '''

PARAM_NAMES = {params}

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
# 5. Pre-simulate the pilot budget (offline first) and sanity-check it
# --------------------------------------------------

all_sims = workflow.simulate(N_PILOT + N_VAL)
train_data = {{k: v[:N_PILOT] for k, v in all_sims.items()}}
val_data = {{k: v[N_PILOT:] for k, v in all_sims.items()}}

for key, value in all_sims.items():
    print(f"{{key}}: shape {{value.shape}}, range [{{np.min(value):.3g}}, {{np.max(value):.3g}}]")
    if not np.all(np.isfinite(value)):
        raise SystemExit(f"simulations of {{key!r}} contain NaN/inf: fix the simulator first")

# --------------------------------------------------
# 6. Train offline, save and inspect the history
# --------------------------------------------------

history = workflow.fit_offline(
    data=train_data,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=val_data,
)

with open(os.path.join(RESULTS_DIR, "history.json"), "w") as f:
    json.dump(history.history, f)

training_report = inspect_history(history.history, has_summary_network={has_summary})
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

metrics = workflow.compute_default_diagnostics(test_data=test_data, num_samples=NUM_SAMPLES)
metrics.to_csv(os.path.join(RESULTS_DIR, "metrics.csv"))
print(metrics)

figures = workflow.plot_default_diagnostics(test_data=test_data, num_samples=NUM_SAMPLES)
save_diagnostic_figures(figures, RESULTS_DIR)

diag_report = check_diagnostics(metrics)
for name, summary in diag_report["summary"].items():
    print(f"{{name}}: {{summary}}")
'''

_INFERENCE = '''
# --------------------------------------------------
# 8. Amortized inference on observed data
# --------------------------------------------------

# Stand-in for real data: one simulated data set. Replace with your observations,
# shaped like the simulator output (a batch of one data set).
observed = workflow.simulate(1)
conditions = {{"{data_key}": observed["{data_key}"]}}

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
        "simulated truth": float(observed[name][0, 0]),
    }}
print(json.dumps(posterior_summary, indent=2))

# --------------------------------------------------
# 9. Posterior predictive check: reuse the observation model
# --------------------------------------------------

{ppc}

observed_quantities = ppc_statistics(observed["{data_key}"][0])
replicated = {{name: [] for name in observed_quantities}}
for s in range(N_PPC):
    theta_s = {{name: float(samples[name][0, s, 0]) for name in PARAM_NAMES}}
    x_rep = observation_model(**theta_s)["{data_key}"]
    for name, value in ppc_statistics(x_rep).items():
        replicated[name].append(value)

ppc_figure, axes = plt.subplots(1, len(replicated), figsize=(4 * len(replicated), 3))
for ax, (name, values) in zip(np.atleast_1d(axes), replicated.items()):
    ax.hist(values, bins=15, color="#8fa8c8", edgecolor="white")
    ax.axvline(observed_quantities[name], color="black", linewidth=2, label="observed")
    ax.set_title(name)
    ax.legend()
ppc_figure.tight_layout()

# --------------------------------------------------
# 10. Report
# --------------------------------------------------

next_steps = suggest_next_steps(training_report, diag_report, has_summary_network={has_summary})
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
        "smoke run": args.smoke,
    }},
    training_report=training_report,
    diag_report=diag_report,
    next_steps=next_steps,
    posterior_summary=posterior_summary,
    ppc_figures={{"test quantities": ppc_figure}},
    ppc_notes=f"Histograms of test quantities of {{N_PPC}} data sets replicated from posterior draws; "
    "the black line marks the observed data set.",
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

all_sims = workflow.simulate(N_PILOT + N_VAL)
train_data = {{k: v[:N_PILOT] for k, v in all_sims.items()}}
val_data = {{k: v[N_PILOT:] for k, v in all_sims.items()}}

for key, value in all_sims.items():
    print(f"{{key}}: shape {{value.shape}}, range [{{np.min(value):.3g}}, {{np.max(value):.3g}}]")

# --------------------------------------------------
# 6. Train offline, save and inspect the history
# --------------------------------------------------

history = workflow.fit_offline(
    data=train_data,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=val_data,
)

with open(os.path.join(RESULTS_DIR, "history.json"), "w") as f:
    json.dump(history.history, f)

training_report = inspect_history(history.history)
print(json.dumps(training_report["overall"], indent=2))

# --------------------------------------------------
# 7. Diagnostics for image targets: visual sample grids on held-out simulations
#    (the guide: the standard diagnostic report does not apply to image-valued targets)
# --------------------------------------------------

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

# --------------------------------------------------
# 8. Report (training assessment + sample grid; no standard diagnostics for image targets)
# --------------------------------------------------

report_path = write_report(
    RESULTS_DIR,
    title="{slug}: image-target workflow report",
    setup={{
        "model": "denoising of a Gaussian blob image (image-valued inference target)",
        "inference network": "DiffusionModel(subnet=UNet)",
        "simulation budget (train / validation / test)": f"{{N_PILOT}} / {{N_VAL}} / {{N_TEST}}",
        "epochs / batch size": f"{{EPOCHS}} / {{BATCH_SIZE}}",
        "smoke run": args.smoke,
    }},
    training_report=training_report,
    next_steps=training_report["overall"]["issues"]
    + [
        "Inspect sample_grid.png: the posterior mean should recover the clean image from the noisy condition, "
        "and the posterior standard deviation should be largest where the noisy image is ambiguous. If the "
        "means stay noisy after sufficient training, train longer before scaling the UNet up (UViT, ResidualUViT)."
    ],
    extra_figures={{"Posterior sample grid (noisy condition, truth, posterior mean, posterior sd)": "sample_grid.png"}},
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


def render(slug: str, kind: str) -> str:
    """Return the source of a complete workflow script for ``slug`` and data ``kind``."""
    _check_slug(slug)
    if kind not in KINDS:
        raise TemplateError(f"unknown data kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind == "image-target":
        header = _HEADER.format(
            slug=slug, kind=kind, description="image denoising, the clean image is the inference target"
        )
        body = _IMAGE_TARGET_BUDGET + _IMAGE_TARGET.replace("{slug}", slug).replace("{{", "{").replace("}}", "}")
        # The image-target script does not use the ratings helpers.
        header = header.replace(
            "from bflint.runtime import (\n    check_diagnostics,\n    inspect_history,\n    save_diagnostic_figures,\n"
            "    suggest_next_steps,\n    write_report,\n)",
            "from bflint.runtime import inspect_history, write_report",
        )
        return header + body
    m = _MODELS[kind]
    has_summary = kind != "vector"
    header = _HEADER.format(slug=slug, kind=kind, description=m["description"])
    body = _BODY.format(
        params=m["params"],
        adapter=m["adapter"],
        networks=m["networks"],
        summary_kwarg="\n    summary_network=summary_network," if has_summary else "",
        has_summary=has_summary,
    )
    summary_label = "type(summary_network).__name__" if has_summary else '"none (vector via inference_conditions)"'
    rest = _DIAGNOSTICS.format() + _INFERENCE.format(
        data_key=m["data_key"],
        ppc=m["ppc"],
        slug=slug,
        description=m["description"],
        kind=kind,
        summary_label=summary_label,
        has_summary=has_summary,
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
