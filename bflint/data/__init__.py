"""Data files shipped with bflint (BayesFlow API tables)."""
