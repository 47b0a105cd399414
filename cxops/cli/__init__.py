"""The thin command-line layer: parse, call one core function, render, return an exit code."""

import warnings

# Google's libraries warn at import time on Python 3.10 that they will stop supporting it: noise
# on every command, and it would break the promise of one line per error. Set here, before any
# command module imports them.
warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\.")
