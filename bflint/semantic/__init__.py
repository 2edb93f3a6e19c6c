"""The semantic model of one file (see :mod:`bflint.semantic.model`).

Layers, one way down: ``cst_util`` (node helpers, the one argument lookup)
<- ``values`` (value objects) <- ``scope`` (bindings) <- ``classify``
(BayesFlow call classification) and ``histories`` (history effects) <-
``builder`` (the walk that fills the model) <- ``model`` (the query
surface). The analyses over a model live in :mod:`bflint.analyze`;
BayesFlow facts in :mod:`bflint.bayesflow_api`.
"""
