"""Compatibility: the semantic model moved to :mod:`bflint.semantic`.

``from bflint.model import SemanticModel`` keeps working for the engine,
plugins and the benchmark; new code imports from :mod:`bflint.semantic`."""

from bflint.semantic.cst_util import ref_key, walk
from bflint.semantic.model import SemanticModel

__all__ = ["SemanticModel", "ref_key", "walk"]
