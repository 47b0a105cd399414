"""The thin command-line layer: parse, call one core function, render, return an exit code."""
