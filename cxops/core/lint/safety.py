"""Safety: conversations that can stall on bad input, and webhooks that are insecure or will
time out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cxops.core.lint.index import Index
from cxops.core.lint.registry import Hit, Params, Severity, rule

# Webhook.timeout: "Defaults to 5 seconds, maximum allowed timeout is 30 seconds."
# (https://cloud.google.com/dialogflow/cx/docs/reference/rest/v3/projects.locations.agents.webhooks)
WEBHOOK_TIMEOUT_MAX = 30


def _events(handlers: Any) -> set[str]:
    if not isinstance(handlers, list):
        return set()
    return {h["event"] for h in handlers if isinstance(h, dict) and isinstance(h.get("event"), str)}


def _covers(events: set[str]) -> set[str]:
    """Which of no-match and no-input ``events`` handle."""
    return {kind for kind in ("no-match", "no-input") if any(e.startswith(f"sys.{kind}") for e in events)}


@rule(
    "safety/required-parameter-no-reprompt",
    Severity.warning,
    "A required form parameter whose no-match or no-input is handled neither by a reprompt of the "
    "parameter nor by its page or flow.",
)
def required_parameter_no_reprompt(index: Index, params: Params) -> Iterator[Hit]:
    flows = {k.name: _covers(_events(b.get("event_handlers"))) for k, b in index.of_kind("flow")}
    for key, body in index.of_kind("page"):
        form = body.get("form")
        if not isinstance(form, dict):
            continue
        around = flows.get(key.scope, set()) | _covers(_events(body.get("event_handlers")))
        for i, param in enumerate(form.get("parameters") or []):
            if not isinstance(param, dict) or not param.get("required"):
                continue
            behavior = param.get("fill_behavior")
            handlers = behavior.get("reprompt_event_handlers") if isinstance(behavior, dict) else None
            missing = [k for k in ("no-match", "no-input") if k not in around | _covers(_events(handlers))]
            if missing:
                name = param.get("display_name", i)
                yield Hit(
                    key,
                    ("form", "parameters", i),
                    f"required parameter {name!r}: {' and '.join(missing)} handled by no reprompt, page or flow handler",
                )


@rule(
    "safety/no-no-match-handler",
    Severity.warning,
    "A flow with no sys.no-match-default event handler.",
)
def no_no_match_handler(index: Index, params: Params) -> Iterator[Hit]:
    for key, body in index.of_kind("flow"):
        if "sys.no-match-default" not in _events(body.get("event_handlers")):
            yield Hit(
                key, ("event_handlers",), f"flow {key.name!r} has no sys.no-match-default event handler"
            )


@rule(
    "safety/insecure-webhook",
    Severity.error,
    "A webhook URI that is not https:// in the tree (stage overrides are not checked).",
)
def insecure_webhook(index: Index, params: Params) -> Iterator[Hit]:
    for key, body in index.of_kind("webhook"):
        service = body.get("generic_web_service")
        uri = service.get("uri") if isinstance(service, dict) else None
        if isinstance(uri, str) and uri.strip() and not uri.strip().lower().startswith(("https://", "${")):
            yield Hit(key, ("generic_web_service", "uri"), f"webhook URI {uri!r} is not https")


@rule(
    "safety/webhook-timeout",
    Severity.error,
    f"A webhook timeout above CX's maximum of {WEBHOOK_TIMEOUT_MAX} seconds.",
)
def webhook_timeout(index: Index, params: Params) -> Iterator[Hit]:
    for key, body in index.of_kind("webhook"):
        timeout = body.get("timeout")
        if not isinstance(timeout, dict):
            continue
        seconds = timeout.get("seconds", 0)
        nanos = timeout.get("nanos", 0)
        if (
            isinstance(seconds, int)
            and isinstance(nanos, int)
            and seconds + nanos / 1e9 > WEBHOOK_TIMEOUT_MAX
        ):
            yield Hit(
                key,
                ("timeout",),
                f"webhook timeout {seconds}s is above CX's maximum of {WEBHOOK_TIMEOUT_MAX}s",
            )
