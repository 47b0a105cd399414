"""Benchmarks and the synthetic agents they run on. Not part of the installed package."""
