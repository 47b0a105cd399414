"""cxops: a GitOps deployer for Google Dialogflow CX agents."""

__version__ = "0.1.0"
