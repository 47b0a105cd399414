"""Renderers: pure functions from a diff (and later a plan) to text, markdown or JSON."""
