"""Safety: conversations that can stall on bad input, and webhooks that are insecure or will
time out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cxops.core.lint.index import FieldPath, Index
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


# "webhook.error: The webhook call returned an error. This event is only invoked: 1) if there is
# no fine-grained webhook event handler (e.g. webhook.error.timeout) that matches the webhook
# error code, 2) if there is no transition target set in the original route that called the
# fulfillment with the failing webhook"; it is a flow- and page-level event, and events are
# identified by name (https://cloud.google.com/dialogflow/cx/docs/concept/handler).
# So only a handler for exactly `webhook.error` catches every failure, and a handler with a
# transition target lets its webhook fail silently whatever handlers exist.
WEBHOOK_ERROR = "webhook.error"
_TARGETS = ("target_page", "target_flow", "target_playbook")


def _webhook_calls(calls: list[tuple[FieldPath, str]], body: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """(path, webhook) of each of a body's webhook calls (the index's, by fulfillment path)
    whose failure an event handler would handle: not one of a handler with a transition target,
    not one of a handler for a webhook event (CX calls such a fulfillment invalid)."""
    kept = []
    for path, name in calls:
        if path[-1:] == ("trigger_fulfillment",):
            handler = _at(body, path[:-1])
            if isinstance(handler, dict) and (
                any(handler.get(t) for t in _TARGETS) or str(handler.get("event", "")).startswith("webhook.")
            ):
                continue
        kept.append(((*path, "webhook"), name))
    return kept


def _at(body: Any, path: FieldPath) -> Any:
    for part in path:
        body = body[part]
    return body


@rule(
    "safety/unhandled-webhook-error",
    Severity.warning,
    "A page, flow or route group calls a webhook where no webhook.error event handler is in scope "
    "(the page's or its flow's; for a group, those of each page or flow that uses it).",
)
def unhandled_webhook_error(index: Index, params: Params) -> Iterator[Hit]:
    flows = {k.name: b for k, b in index.of_kind("flow")}
    # Who uses each route group: (flow, page or None for the flow itself).
    users: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for key, body in [*index.of_kind("flow"), *index.of_kind("page")]:
        flow = key.name if key.kind == "flow" else key.scope
        page = None if key.kind == "flow" else key.name
        for field, scope in (("transition_route_groups", flow), ("agent_transition_route_groups", "")):
            groups = body.get(field)
            for group in groups if isinstance(groups, list) else []:
                if isinstance(group, str):
                    users.setdefault((scope, group), []).append((flow, page))

    def events(flow: str, page: str | None) -> set[str]:
        found = _events(flows.get(flow, {}).get("event_handlers"))
        if page is not None:
            body = index.pages.get(flow, {}).get(page)
            found |= _events(body.get("event_handlers") if isinstance(body, dict) else None)
        return found

    for kind in ("flow", "page", "flow_route_group", "route_group"):
        for key, body in index.of_kind(kind):
            found = index.uses.webhook_calls.get(key)
            calls = _webhook_calls(found, body) if found else None
            if not calls:
                continue
            # Where the calls run: (flow, page), page None for the flow's start page.
            if kind == "flow":
                runs: list[tuple[str, str | None]] = [(key.name, None)]
            elif kind == "page":
                runs = [(key.scope, key.name)]
            else:
                runs = users.get((key.scope if kind == "flow_route_group" else "", key.name), [])
            open_ = [(flow, page) for flow, page in runs if WEBHOOK_ERROR not in events(flow, page)]
            if not open_:
                continue
            flow, page = open_[0]
            if kind == "page":
                where = f"page {page!r} or its flow {flow!r}"
            elif page is None:
                where = f"flow {flow!r}" + (", which uses this group" if kind != "flow" else "")
            else:
                where = f"page {page!r} of flow {flow!r}, which uses this group"
            finer = sorted(e for e in events(flow, page) if e.startswith(f"{WEBHOOK_ERROR}."))
            only = f" ({', '.join(finer)} handle(s) only their own error)" if finer else ""
            path, webhook = calls[0]
            more = f" (and {len(calls) - 1} more call(s) here)" if len(calls) > 1 else ""
            yield Hit(
                key,
                path,
                f"calls webhook {webhook!r}{more}, and no {WEBHOOK_ERROR} event handler is on "
                f"{where}{only}: a failed call goes unhandled",
            )
