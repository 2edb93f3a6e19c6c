"""bflint: a static analyzer for BayesFlow 2.x amortized-inference scripts.

Public API::

    from bflint import lint_source, lint_paths
    findings = lint_source(code, filename="train.py")

Heavy modules are imported lazily so that ``import bflint`` stays cheap.
"""

__version__ = "0.1.0"

__all__ = ["Finding", "lint_paths", "lint_source", "__version__"]


def __getattr__(name):
    if name in ("lint_source", "lint_paths"):
        from bflint import engine

        return getattr(engine, name)
    if name == "Finding":
        from bflint.finding import Finding

        return Finding
    raise AttributeError(f"module 'bflint' has no attribute {name!r}")
