"""Secrets never reach a tree, a package, a plan or a log (SPEC §2 rule 7).

Where an agent holds a credential — webhook passwords and static request-header values,
OAuth client secrets, API keys and bearer tokens of tools, the GitHub access token of CX's git
integration — the tree holds a placeholder ``${secret:<resource>/<what>}`` instead, and the
stage's ``secrets`` say where the value comes from at apply time.

Request headers whose value is a CX expression (``$session.params.x``, ``$conversation``) are
not credentials: they are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cxops.model.snapshot import Body, Key, Snapshot

Path = tuple[str | int, ...]
PLACEHOLDER = re.compile(r"^\$\{secret:([^}]+)\}$")


def placeholder(name: str) -> str:
    return f"${{secret:{name}}}"


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and PLACEHOLDER.match(value) is not None


@dataclass(frozen=True)
class SecretSlot:
    """One credential field of one resource."""

    key: Key
    name: str  # placeholder name: "<resource display name>/<what>"
    path: Path  # where in the body


def _web_service_slots(prefix: str, service: Body, path: Path) -> Iterator[tuple[str, Path]]:
    if "password" in service:
        yield f"{prefix}/password", (*path, "password")
    headers = service.get("request_headers")
    if isinstance(headers, dict):
        for header, value in headers.items():
            # "$session.params.x" is a CX expression, not a credential; a placeholder is one.
            if isinstance(value, str) and (is_placeholder(value) or not value.startswith("$")):
                yield f"{prefix}/{header}", (*path, "request_headers", header)
    oauth = service.get("oauth_config")
    if isinstance(oauth, dict) and "client_secret" in oauth:
        yield f"{prefix}/oauth-client-secret", (*path, "oauth_config", "client_secret")


def slots(snapshot: Snapshot) -> Iterator[SecretSlot]:
    """Every credential field present in the snapshot, in a stable order."""
    for key, body in snapshot:
        found: list[tuple[str, Path]] = []
        if key.kind == "webhook":
            for service_path in (("generic_web_service",), ("service_directory", "generic_web_service")):
                service = value_at(body, service_path)
                if isinstance(service, dict):
                    found.extend(_web_service_slots(key.name, service, service_path))
        elif key.kind == "tool":
            for spec in ("open_api_spec",):
                auth = value_at(body, (spec, "authentication"))
                if not isinstance(auth, dict):
                    continue
                base = (spec, "authentication")
                for section, field, what in (
                    ("api_key_config", "api_key", "api-key"),
                    ("oauth_config", "client_secret", "oauth-client-secret"),
                    ("bearer_token_config", "token", "bearer-token"),
                ):
                    if isinstance(auth.get(section), dict) and field in auth[section]:
                        found.append((f"{key.name}/{what}", (*base, section, field)))
        elif key.kind == "agent":
            github = value_at(body, ("git_integration_settings", "github_settings"))
            if isinstance(github, dict) and "access_token" in github:
                found.append(
                    (
                        "agent/github-access-token",
                        ("git_integration_settings", "github_settings", "access_token"),
                    )
                )
        for name, path in found:
            yield SecretSlot(key=key, name=name, path=path)


def value_at(body: Any, path: Path) -> Any:
    """The value at ``path`` in a body, or None where there is none."""
    for step in path:
        if isinstance(body, dict) and isinstance(step, str):
            body = body.get(step)
        elif isinstance(body, list) and isinstance(step, int) and step < len(body):
            body = body[step]
        else:
            return None
    return body


def _set(body: Any, path: Path, value: Any) -> None:
    for step in path[:-1]:
        body = body[step]
    body[path[-1]] = value


def redact(snapshot: Snapshot) -> list[SecretSlot]:
    """Replace every credential with its placeholder, in place; return the slots."""
    found = list(slots(snapshot))
    for slot in found:
        _set(snapshot.resources[slot.key], slot.path, placeholder(slot.name))
    return found


def fill(snapshot: Snapshot, resolve: Callable[[str], str]) -> None:
    """Replace placeholders with their values, in place (at apply time only, never on disk)."""
    for slot in slots(snapshot):
        value = value_at(snapshot.resources[slot.key], slot.path)
        match = PLACEHOLDER.match(value) if isinstance(value, str) else None
        if match:
            _set(snapshot.resources[slot.key], slot.path, resolve(match.group(1)))
