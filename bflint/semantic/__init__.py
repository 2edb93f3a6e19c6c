"""The semantic model of one file (see :mod:`bflint.semantic.model`).

Layers, one way down: ``cst_util`` (node helpers) <- ``values`` (value
objects) <- ``scope`` <- ``builder`` (the walk that fills the model) <-
``model`` (the query surface). The analyses over a model live in
:mod:`bflint.analyze`; BayesFlow facts in :mod:`bflint.bayesflow_api`.
"""
