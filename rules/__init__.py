"""Rule implementations, one module per rule, installed as ``bflint.rules``."""
