"""Where the CX API is and how to reach it: endpoint, credentials, one client per service."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import google.auth
import grpc
from google.api_core import operations_v1
from google.auth import credentials as ga_credentials
from google.auth import exceptions as auth_exceptions
from google.cloud import dialogflowcx_v3 as cx

from cxops.cx.errors import EMULATOR_PRINCIPAL
from cxops.errors import ApiError, ConfigError

C = TypeVar("C")
Self = TypeVar("Self", bound="Connection")

GLOBAL_ENDPOINT = "dialogflow.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_LOCATION = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
# Same as the library's own channels: exported agent packages easily exceed gRPC's 4 MB default.
_CHANNEL_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]


def endpoint_for(location: str, override: str | None = None) -> str:
    """The API endpoint of a CX location: ``override`` if given, else the global or regional one."""
    if override:
        return override
    if not _LOCATION.match(location):
        raise ConfigError(
            f"location {location!r} is not a CX location (e.g. global, us-central1, europe-west1)"
        )
    return GLOBAL_ENDPOINT if location == "global" else f"{location}-{GLOBAL_ENDPOINT}"


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach the API for one stage."""

    location: str = "global"
    emulator_host: str | None = None
    api_endpoint: str | None = None

    @classmethod
    def from_env(
        cls,
        location: str = "global",
        *,
        emulator_host: str | None = None,
        api_endpoint: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ConnectionSettings:
        """Explicit values (the CLI flags) win over ``CXOPS_EMULATOR_HOST`` / ``CXOPS_API_ENDPOINT``."""
        env = os.environ if environ is None else environ
        return cls(
            location=location,
            emulator_host=emulator_host or env.get("CXOPS_EMULATOR_HOST") or None,
            api_endpoint=api_endpoint or env.get("CXOPS_API_ENDPOINT") or None,
        )

    @property
    def endpoint(self) -> str:
        return self.emulator_host or endpoint_for(self.location, self.api_endpoint)


def describe_principal(credentials: ga_credentials.Credentials) -> str:
    """Who the API sees: the service account or user when the credentials say so."""
    cred_info: Callable[[], Mapping[str, str] | None] = credentials.get_cred_info
    info = cred_info() or {}
    principal = info.get("principal") or getattr(credentials, "service_account_email", None)
    if isinstance(principal, str) and principal and principal != "default":
        return principal
    if principal == "default":
        return "the runtime's default service account"
    return f"the Application Default Credentials ({type(credentials).__name__})"


class Connection:
    """Lazily created, cached service clients for one stage; thread-safe.

    With an emulator host, every client shares one plaintext channel and no credentials are
    ever looked up. Otherwise Application Default Credentials are loaded on first use.
    """

    def __init__(
        self, settings: ConnectionSettings, *, credentials: ga_credentials.Credentials | None = None
    ) -> None:
        self.settings = settings
        self.endpoint = settings.endpoint
        self._credentials = credentials
        self._channel: grpc.Channel | None = None
        self._clients: dict[type[Any], Any] = {}
        self._lock = threading.RLock()

    @property
    def emulated(self) -> bool:
        return self.settings.emulator_host is not None

    @property
    def principal(self) -> str:
        if self.emulated:
            return EMULATOR_PRINCIPAL
        if self._credentials is None:
            return "the Application Default Credentials"
        return describe_principal(self._credentials)

    def credentials(self) -> ga_credentials.Credentials:
        with self._lock:
            if self._credentials is None:
                try:
                    found, _project = google.auth.default(scopes=SCOPES)
                except auth_exceptions.DefaultCredentialsError as exc:
                    raise ApiError(
                        "no Google credentials found: run `gcloud auth application-default login`,"
                        " set GOOGLE_APPLICATION_CREDENTIALS, use workload identity federation in CI,"
                        f" or pass --emulator-host for the fake ({' '.join(str(exc).split())})",
                        code="UNAUTHENTICATED",
                    ) from exc
                self._credentials = found
            return self._credentials

    def client(self, cls: type[C]) -> C:
        """The cached client of service class ``cls`` (e.g. ``cx.FlowsClient``)."""
        with self._lock:
            if cls not in self._clients:
                self._clients[cls] = self._create(cls)
            client: C = self._clients[cls]
            return client

    def _create(self, cls: type[Any]) -> Any:
        if self.settings.emulator_host is not None:
            if self._channel is None:
                self._channel = grpc.insecure_channel(self.settings.emulator_host, options=_CHANNEL_OPTIONS)
            return cls(transport=cls.get_transport_class("grpc")(channel=self._channel))
        return cls(credentials=self.credentials(), client_options={"api_endpoint": self.endpoint})

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            channel, self._channel = self._channel, None
        for client in clients:
            client.transport.close()
        if channel is not None:
            channel.close()

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def agents(self) -> cx.AgentsClient:
        return self.client(cx.AgentsClient)

    @property
    def changelogs(self) -> cx.ChangelogsClient:
        return self.client(cx.ChangelogsClient)

    @property
    def flows(self) -> cx.FlowsClient:
        return self.client(cx.FlowsClient)

    @property
    def pages(self) -> cx.PagesClient:
        return self.client(cx.PagesClient)

    @property
    def transition_route_groups(self) -> cx.TransitionRouteGroupsClient:
        return self.client(cx.TransitionRouteGroupsClient)

    @property
    def intents(self) -> cx.IntentsClient:
        return self.client(cx.IntentsClient)

    @property
    def entity_types(self) -> cx.EntityTypesClient:
        return self.client(cx.EntityTypesClient)

    @property
    def webhooks(self) -> cx.WebhooksClient:
        return self.client(cx.WebhooksClient)

    @property
    def test_cases(self) -> cx.TestCasesClient:
        return self.client(cx.TestCasesClient)

    @property
    def generators(self) -> cx.GeneratorsClient:
        return self.client(cx.GeneratorsClient)

    @property
    def playbooks(self) -> cx.PlaybooksClient:
        return self.client(cx.PlaybooksClient)

    @property
    def examples(self) -> cx.ExamplesClient:
        return self.client(cx.ExamplesClient)

    @property
    def tools(self) -> cx.ToolsClient:
        return self.client(cx.ToolsClient)

    @property
    def versions(self) -> cx.VersionsClient:
        return self.client(cx.VersionsClient)

    @property
    def environments(self) -> cx.EnvironmentsClient:
        return self.client(cx.EnvironmentsClient)

    @property
    def operations(self) -> operations_v1.OperationsClient:
        """``google.longrunning.Operations`` on the same channel (list, cancel); see also ``wait``."""
        operations: operations_v1.OperationsClient = self.agents.transport.operations_client
        return operations
