"""bflint: a static analyzer for BayesFlow 2.x amortized-inference scripts.

Public API (defined in :mod:`bflint.api`)::

    from bflint import lint_source, lint_file, lint_paths
    findings = lint_source(code, filename="train.py")
"""

__version__ = "0.2.0"

__all__ = ["Finding", "lint_file", "lint_paths", "lint_source", "__version__"]

_API = ("lint_source", "lint_file", "lint_paths")


def __getattr__(name):
    # Start-up: the CLI, the flake8 plugin and bflint.runtime import ``bflint``
    # for __version__ only; loading the runner and engine for them would cost
    # every invocation (measured with python -X importtime), so the public
    # names are resolved on first use.
    if name in _API:
        from bflint import api

        return getattr(api, name)
    if name == "Finding":
        from bflint.finding import Finding

        return Finding
    raise AttributeError(f"module 'bflint' has no attribute {name!r}")


def load_ipython_extension(shell):  # `%load_ext bflint`: see bflint.ipython_ext
    from bflint.ipython_ext import load_ipython_extension as load  # start-up: IPython only

    load(shell)


def unload_ipython_extension(shell):
    from bflint.ipython_ext import unload_ipython_extension as unload  # start-up: IPython only

    unload(shell)
