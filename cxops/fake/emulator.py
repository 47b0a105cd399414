"""Point scripts that already use Google's clients (dfcx-scrapi, plain google-cloud-dialogflow-cx)
at ``cxops fake``, as the Firestore or Pub/Sub emulators are used.

>>> from cxops.fake.emulator import route_to_emulator
>>> creds = route_to_emulator("127.0.0.1:8085")   # every Dialogflow client in this process
>>> Intents(creds=creds).list_intents(agent_id)   # dfcx-scrapi, unchanged

The Dialogflow client libraries have no emulator setting of their own: each client builds its
channel with ``google.api_core.grpc_helpers.create_channel`` to ``dialogflow.googleapis.com``
or ``<location>-dialogflow.googleapis.com`` (dfcx-scrapi hard-codes those endpoints). This
routes exactly those targets to a plaintext channel to the stand-in and leaves every other
Google API alone. The credentials it returns never leave the process: they only satisfy
callers (dfcx-scrapi) that refresh their credentials before the first call.
"""

from __future__ import annotations

import os
import re
from typing import Any

import grpc
from google.api_core import grpc_helpers
from google.auth import credentials as ga_credentials

_DIALOGFLOW = re.compile(r"^(?:[a-z0-9-]+-)?dialogflow\.googleapis\.com(?::\d+)?$")
_ORIGINAL = grpc_helpers.create_channel


class EmulatorCredentials(ga_credentials.Credentials):
    """Credentials that refresh to a placeholder token; the stand-in checks none."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.token = "cxops-fake"

    def refresh(self, request: Any) -> None:
        self.token = "cxops-fake"

    def apply(self, headers: dict[str, str], token: str | None = None) -> None:
        headers["authorization"] = f"Bearer {token or self.token}"


def is_dialogflow_endpoint(target: str) -> bool:
    return bool(_DIALOGFLOW.match(target))


def route_to_emulator(host: str | None = None) -> EmulatorCredentials:
    """Send every Dialogflow CX client channel made from now on in this process to ``host``
    (default: ``$CXOPS_EMULATOR_HOST``), plaintext; return credentials for clients that need some."""
    target = host or os.environ.get("CXOPS_EMULATOR_HOST", "")
    if not target:
        raise ValueError("no emulator host: pass one or set CXOPS_EMULATOR_HOST")

    def create_channel(address: str, *args: Any, **kwargs: Any) -> grpc.Channel:
        if not is_dialogflow_endpoint(address):
            channel: grpc.Channel = _ORIGINAL(address, *args, **kwargs)
            return channel
        options = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
        return grpc.insecure_channel(target, options=options)

    grpc_helpers.create_channel = create_channel  # type: ignore[assignment]
    return EmulatorCredentials()


def stop_routing() -> None:
    """Undo :func:`route_to_emulator`: clients made afterwards reach Google again."""
    grpc_helpers.create_channel = _ORIGINAL
