"""Flow versions and environments as cxops reads and writes them (v3 Versions, Environments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.cx.session import CxSession
from cxops.errors import ApiError
from cxops.model.flowversion import MAX_DESCRIPTION, FlowVersion


def flow_names(session: CxSession, agent: str) -> dict[str, str]:
    """Flow display name -> resource name."""
    listed = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent))
    return {str(f.display_name): str(f.name) for f in listed}


def list_versions(session: CxSession, flow: str) -> list[FlowVersion]:
    listed = session.list_all(session.versions.list_versions, cx.ListVersionsRequest(parent=flow))
    return [
        FlowVersion(
            str(v.name), str(v.display_name), str(v.description), cx.Version.pb(v).create_time.ToJsonString()
        )
        for v in listed
    ]


def pinned_versions(session: CxSession, agent: str) -> set[str]:
    """Every version some environment of the agent points at (Environment.version_configs)."""
    envs = session.list_all(session.environments.list_environments, cx.ListEnvironmentsRequest(parent=agent))
    return {str(c.version) for e in envs for c in e.version_configs}


def create_version(session: CxSession, flow: str, display_name: str, description: str) -> str:
    """CreateVersion, long-running: the operation's response is the Version (v3 reference)."""
    version = cx.Version(display_name=display_name, description=description[:MAX_DESCRIPTION])
    request = cx.CreateVersionRequest(parent=flow, version=version)
    created = session.wait(session.versions.create_version, request, cx.Version.pb())
    return str(created.name)


def delete_version(session: CxSession, name: str) -> None:
    """DeleteVersion; one already gone (a re-run after a kill) is fine."""
    try:
        session.call(session.versions.delete_version, cx.DeleteVersionRequest(name=name), write=True)
    except ApiError as err:
        if err.code != "NOT_FOUND":
            raise


@dataclass(frozen=True)
class EnvironmentState:
    """An environment as cxops uses it: its name and, per flow resource name, the pinned version."""

    name: str
    display_name: str
    versions: dict[str, str]  # flow resource name -> version resource name
    webhooks: dict[str, str]  # webhook resource name -> override uri
    # webhook resource name -> the override's request headers: values may be credentials, so
    # they are compared and hashed, never written anywhere
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    update_time: str = ""  # RFC 3339, '' when the service gives none
    description: str = ""


def _state(env: Any) -> EnvironmentState:
    versions = {str(c.version).split("/versions/")[0]: str(c.version) for c in env.version_configs}
    overrides = env.webhook_config.webhook_overrides
    hooks = {str(w.name): str(w.generic_web_service.uri) for w in overrides}
    headers = {
        str(w.name): {str(k): str(v) for k, v in w.generic_web_service.request_headers.items()}
        for w in overrides
        if w.generic_web_service.request_headers
    }
    raw = cx.Environment.pb(env) if isinstance(env, cx.Environment) else env
    when = raw.update_time.ToJsonString() if raw.HasField("update_time") else ""
    return EnvironmentState(
        str(env.name), str(env.display_name), versions, hooks, headers, when, str(env.description)
    )


def find_environment(session: CxSession, agent: str, display_name: str) -> EnvironmentState | None:
    envs = session.list_all(session.environments.list_environments, cx.ListEnvironmentsRequest(parent=agent))
    found = [e for e in envs if str(e.display_name) == display_name]
    return _state(found[0]) if found else None


def webhook_names(session: CxSession, agent: str) -> dict[str, str]:
    listed = session.list_all(session.webhooks.list_webhooks, cx.ListWebhooksRequest(parent=agent))
    return {str(w.display_name): str(w.name) for w in listed}


def _environment(
    display_name: str,
    versions: dict[str, str],
    webhooks: dict[str, str],
    headers: dict[str, dict[str, str]],
    description: str,
) -> Any:
    return cx.Environment(
        display_name=display_name,
        description=description,
        version_configs=[cx.Environment.VersionConfig(version=v) for _, v in sorted(versions.items())],
        webhook_config=cx.Environment.WebhookConfig(
            webhook_overrides=[
                cx.Webhook(
                    name=name,
                    generic_web_service=cx.Webhook.GenericWebService(
                        uri=uri, request_headers=headers.get(name, {})
                    ),
                )
                for name, uri in sorted(webhooks.items())
            ]
        ),
    )


def put_environment(
    session: CxSession,
    agent: str,
    current: EnvironmentState | None,
    display_name: str,
    versions: dict[str, str],
    webhooks: dict[str, str],
    headers: dict[str, dict[str, str]] | None = None,
    *,
    description: str,
) -> EnvironmentState:
    """One CreateEnvironment (none yet) or one UpdateEnvironment, both long-running (v3
    Environments.CreateEnvironment / UpdateEnvironment: the operation's response is the
    Environment), with exactly these version_configs, webhook overrides and description."""
    env = _environment(display_name, versions, webhooks, headers or {}, description)
    if current is None:
        request: Any = cx.CreateEnvironmentRequest(parent=agent, environment=env)
        done = session.wait(session.environments.create_environment, request, cx.Environment.pb())
    else:
        env.name = current.name
        request = cx.UpdateEnvironmentRequest(
            environment=env,
            update_mask={"paths": ["version_configs", "webhook_config", "description"]},
        )
        done = session.wait(session.environments.update_environment, request, cx.Environment.pb())
    return _state(done)


def environment_history(session: CxSession, name: str) -> list[EnvironmentState]:
    """The environment's states, newest first (v3 Environments.LookupEnvironmentHistory)."""
    listed = session.list_all(
        session.environments.lookup_environment_history, cx.LookupEnvironmentHistoryRequest(name=name)
    )
    return [_state(e) for e in listed]


def version_descriptions(session: CxSession, names: list[str]) -> dict[str, str]:
    out = {}
    for name in names:
        got = session.call(session.versions.get_version, cx.GetVersionRequest(name=name), write=False)
        out[name] = str(got.description)
    return out
