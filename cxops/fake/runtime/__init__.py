"""The stand-in's conversation runtime: a deterministic model of how a CX agent converses.

What it models and what it does not is written in docs/stand-in.md.
"""
