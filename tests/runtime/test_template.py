"""Static tests of the script template generator and the `new` command."""

from __future__ import annotations

import ast
import re

import pytest
from click.testing import CliRunner

from bflint.runtime.cli import new_command
from bflint.runtime.template import KINDS, TemplateError, render, write_script


def calls(tree: ast.AST, attr: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Attribute) and n.func.attr == attr)
            or (isinstance(n.func, ast.Name) and n.func.id == attr)
        )
    ]


def kwarg(call: ast.Call, name: str):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


@pytest.mark.parametrize("kind", KINDS)
def test_generated_script_is_lint_clean(kind):
    from bflint import lint_source

    src = render("my-model", kind)
    assert lint_source(src, filename="x.py") == []


@pytest.mark.parametrize("kind", KINDS)
def test_generated_script_follows_the_guide(kind):
    src = render("my-model", kind)
    tree = ast.parse(src)
    lines = src.splitlines()
    backend = next(i for i, l in enumerate(lines) if 'os.environ.setdefault("KERAS_BACKEND", "jax")' in l)
    first_bf = next(i for i, l in enumerate(lines) if re.match(r"\s*(import|from) (bayesflow|keras)\b", l))
    assert backend < first_bf

    (wf,) = calls(tree, "BasicWorkflow")
    assert kwarg(wf, "adapter") is not None
    for shorthand in ("inference_variables", "summary_variables", "inference_conditions"):
        assert kwarg(wf, shorthand) is None
    assert ast.literal_eval(kwarg(wf, "standardize")) == "all"
    assert kwarg(wf, "checkpoint_filepath") is not None

    assert calls(tree, "make_simulator")
    assert calls(tree, "Adapter")
    assert any(ast.literal_eval(c.args[0]) == "float64" for c in calls(tree, "convert_dtype"))
    (fit,) = calls(tree, "fit_offline")
    assert kwarg(fit, "validation_data") is not None and kwarg(fit, "verbose") is None
    assert not calls(tree, "fit_online")
    assert calls(tree, "inspect_history") and "json.dump(history.history, f)" in src
    assert calls(tree, "write_report")
    if kind == "image-target":
        # the guide: visual sample grids instead of the standard diagnostics for image targets
        assert "# noqa" not in src and "sample_grid.png" in src
        assert not calls(tree, "compute_default_diagnostics")
    else:
        assert calls(tree, "compute_default_diagnostics")
    assert '"inference_variables"]' not in src and "isinstance(" not in src
    assert "--smoke" in src
    # simulations come from workflow.simulate, never a loop over the simulator
    assert len(calls(tree, "simulate")) >= 2


@pytest.mark.parametrize(
    "kind, summary, router",
    [
        ("set", "SetTransformer", "as_set"),
        ("time-series", "TimeSeriesNetwork", "as_time_series"),
        ("image", "ConvolutionalNetwork", None),
        ("vector", None, None),
    ],
)
def test_modality_specific_architecture(kind, summary, router):
    src = render("m", kind)
    tree = ast.parse(src)
    (wf,) = calls(tree, "BasicWorkflow")
    if summary:
        (net,) = calls(tree, summary)
        n_params = len(ast.literal_eval(re.search(r"PARAM_NAMES = (\[.*\])", src).group(1)))
        assert ast.literal_eval(kwarg(net, "summary_dim")) == 2 * n_params
        assert kwarg(wf, "summary_network") is not None
        assert 'into="summary_variables"' in src
    else:
        assert kwarg(wf, "summary_network") is None
        assert 'into="inference_conditions"' in src and 'into="summary_variables"' not in src
    if router:
        assert calls(tree, router)
    # every bounded parameter is constrained
    constrained = set()
    for c in calls(tree, "constrain"):
        arg = ast.literal_eval(c.args[0])
        constrained |= {arg} if isinstance(arg, str) else set(arg)
    bounded = set(re.findall(r"(\w+) = np\.random\.(?:gamma|uniform|lognormal)\(", src))
    assert bounded and bounded <= constrained
    # PPC reuses the observation model inside the loop over posterior draws
    loop = next(n for n in ast.walk(tree) if isinstance(n, ast.For) and "ppc_draws" in ast.unparse(n.iter))
    assert calls(loop, "observation_model")
    assert "np.random" not in ast.unparse(loop) and "rng." not in ast.unparse(loop)
    assert "size=N_PPC, replace=False" in src
    # the posterior is sampled once for the diagnostics (in batches) and once for the observed data
    diag, real = calls(tree, "sample")
    assert ast.unparse(kwarg(diag, "batch_size")) == "SAMPLE_BATCH_SIZE"
    for s in (diag, real):
        assert kwarg(s, "conditions") is not None and kwarg(s, "num_samples") is not None
    for c in calls(tree, "compute_default_diagnostics") + calls(tree, "plot_default_diagnostics"):
        assert ast.unparse(kwarg(c, "samples")) == "diag_samples"
    assert calls(tree, "save_diagnostic_figures") and calls(tree, "check_diagnostics")


def test_image_target_uses_diffusion_with_unet():
    src = render("img", "image-target")
    tree = ast.parse(src)
    (dm,) = calls(tree, "DiffusionModel")
    assert ast.unparse(kwarg(dm, "subnet")) == "bf.networks.UNet"


@pytest.mark.parametrize("slug", ["", "-x", "a b", "x/y", "class", "../up"])
def test_bad_slugs(slug):
    with pytest.raises(TemplateError):
        render(slug, "set")


def test_bad_kind():
    with pytest.raises(TemplateError, match="choose one of"):
        render("x", "tabular")


def test_write_script_refuses_to_overwrite(tmp_path):
    path = write_script("m", "set", tmp_path)
    assert open(path).read() == render("m", "set")
    with pytest.raises(TemplateError, match="--force"):
        write_script("m", "vector", tmp_path)
    write_script("m", "vector", tmp_path, force=True)
    assert open(path).read() == render("m", "vector")


def test_new_command(tmp_path):
    runner = CliRunner()
    res = runner.invoke(new_command, ["churn-model", "--data", "time-series", "--output-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    script = tmp_path / "churn-model.py"
    assert script.read_text() == render("churn-model", "time-series")
    assert str(script) in res.stdout
    again = runner.invoke(new_command, ["churn-model", "--data", "set", "--output-dir", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert script.read_text() == render("churn-model", "time-series")
    forced = runner.invoke(new_command, ["churn-model", "--data", "set", "--output-dir", str(tmp_path), "--force"])
    assert forced.exit_code == 0 and script.read_text() == render("churn-model", "set")
    bad = runner.invoke(new_command, ["x", "--data", "tabular", "--output-dir", str(tmp_path)])
    assert bad.exit_code == 2
    bad_slug = runner.invoke(new_command, ["a b", "--data", "set", "--output-dir", str(tmp_path)])
    assert bad_slug.exit_code == 2 and "invalid slug" in bad_slug.stderr
    missing = runner.invoke(new_command, ["x", "--output-dir", str(tmp_path)])
    assert missing.exit_code == 2
