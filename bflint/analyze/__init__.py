"""Pure analyses over a :class:`~bflint.semantic.model.SemanticModel`, shared
by the rules: random draws (``draws``), constant folding (``constants``),
static shapes (``shapes``), the networks a workflow gets (``networks``),
workflows and histories (``workflows``), names of the BayesFlow API
(``names``). Library facts about numpy / scipy / jax are data in
``numeric_data``. Per-file results are cached with
:meth:`SemanticModel.analysis`; nothing here attaches state to the model.
"""
