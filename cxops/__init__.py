"""cxops: a GitOps deployer for Google Dialogflow CX agents."""

# Written by setuptools-scm from the git tag when cxops is built or installed.
try:
    from cxops._version import __version__
except ImportError:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
