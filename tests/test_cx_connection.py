"""Endpoints, settings, credentials and the client factory."""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from pathlib import Path

import pytest
from google.auth import compute_engine
from google.auth.credentials import AnonymousCredentials
from google.cloud import dialogflowcx_v3 as cx
from google.oauth2 import service_account

from cxops.cx import (
    EMULATOR_PRINCIPAL,
    Connection,
    ConnectionSettings,
    CxSession,
    describe_principal,
    endpoint_for,
)
from cxops.errors import ApiError, ConfigError
from cxops.fake import FakeCX


def test_endpoint_for_locations() -> None:
    assert endpoint_for("global") == "dialogflow.googleapis.com"
    assert endpoint_for("us-central1") == "us-central1-dialogflow.googleapis.com"
    assert endpoint_for("europe-west1", "private.example.com:443") == "private.example.com:443"
    assert endpoint_for("global", None) == "dialogflow.googleapis.com"


@pytest.mark.parametrize("location", ["", "US-Central1", "us central1", "eu/west", "-x"])
def test_bad_location_is_a_config_error(location: str) -> None:
    with pytest.raises(ConfigError, match="not a CX location"):
        endpoint_for(location)


def test_settings_from_env_flags_win() -> None:
    env = {"CXOPS_EMULATOR_HOST": "localhost:1", "CXOPS_API_ENDPOINT": "env.example.com"}
    assert ConnectionSettings.from_env("global", environ=env) == ConnectionSettings(
        "global", "localhost:1", "env.example.com"
    )
    flags = ConnectionSettings.from_env(
        "eu", emulator_host="h:2", api_endpoint="flag.example.com", environ=env
    )
    assert (flags.emulator_host, flags.api_endpoint) == ("h:2", "flag.example.com")
    empty = ConnectionSettings.from_env("global", environ={"CXOPS_EMULATOR_HOST": ""})
    assert empty.emulator_host is None and empty.endpoint == "dialogflow.googleapis.com"
    assert ConnectionSettings("us-east1").endpoint == "us-east1-dialogflow.googleapis.com"
    assert ConnectionSettings("us-east1", emulator_host="h:3", api_endpoint="x").endpoint == "h:3"


def test_real_endpoint_clients_use_the_regional_endpoint() -> None:
    with Connection(ConnectionSettings("europe-west1"), credentials=AnonymousCredentials()) as conn:
        assert conn.flows.api_endpoint == "europe-west1-dialogflow.googleapis.com"
        assert conn.agents.api_endpoint == "europe-west1-dialogflow.googleapis.com"
    override = ConnectionSettings("global", api_endpoint="cx.private.example.com")
    with Connection(override, credentials=AnonymousCredentials()) as conn:
        assert conn.intents.api_endpoint == "cx.private.example.com"


def test_missing_adc_says_how_to_log_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    conn = Connection(ConnectionSettings("global"))
    assert conn.principal == "the Application Default Credentials"
    with pytest.raises(ApiError, match="gcloud auth application-default login") as caught:
        _ = conn.flows
    assert caught.value.code == "UNAUTHENTICATED"
    assert "\n" not in str(caught.value)


def test_principal_names_the_service_account() -> None:
    sa = service_account.Credentials(
        signer=None,
        service_account_email="cxops-ci@acme.iam.gserviceaccount.com",
        token_uri="https://x/token",
    )
    assert describe_principal(sa) == "cxops-ci@acme.iam.gserviceaccount.com"
    assert describe_principal(compute_engine.Credentials()) == "the runtime's default service account"
    assert (
        describe_principal(AnonymousCredentials())
        == "the Application Default Credentials (AnonymousCredentials)"
    )


def test_emulator_clients_share_one_channel_and_need_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Credentials lookup would fail loudly; with an emulator it must never happen.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with FakeCX() as fake, CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
        assert session.principal == EMULATOR_PRINCIPAL
        assert session.flows is session.flows
        channels = {
            id(client.transport.grpc_channel)
            for client in (
                session.agents,
                session.flows,
                session.pages,
                session.transition_route_groups,
                session.intents,
                session.entity_types,
                session.webhooks,
                session.test_cases,
                session.generators,
                session.playbooks,
                session.examples,
                session.tools,
                session.versions,
                session.environments,
            )
        }
        assert len(channels) == 1
        agents = session.list_all(
            session.agents.list_agents, cx.ListAgentsRequest(parent="projects/p/locations/global")
        )
        assert agents == []
        assert session.operations.list_operations("projects/p/locations/global", "") is not None
