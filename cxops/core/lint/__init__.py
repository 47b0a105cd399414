"""`cxops lint`: rules over a snapshot (see :mod:`cxops.core.lint.registry` for the id scheme)."""
