"""`cxops fake`: an in-memory gRPC stand-in for the Dialogflow CX v3 API.

Only tests, ``cxops demo`` and ``cxops fake serve`` import this package.
"""

from cxops.fake.server import FakeCX

__all__ = ["FakeCX"]
