"""Digests of a few collections of a live agent, read by listing only those collections.

The gate re-reads, before apply writes, only what the plan writes into (see
``workflows/watch.py``): a collection is a kind within one parent — the intents of the agent,
the pages of one flow — listed once per language where the kind is translatable, exactly as
``pull --via list`` lists it. A digest is a sha256 over the raw messages the API returns
(deterministic protobuf serialization, sorted by resource name), so nothing is decoded into
the tree's form and the digest of an unchanged collection is the same read after read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.cx.read import _raw
from cxops.cx.session import CxSession
from cxops.model import kinds as K
from cxops.model import translatable

# Fields the service sets itself and that change without anyone editing the resource: a test
# run writes last_test_result; the times follow an edit that the content shows anyway; the
# agent's output-only satisfies_pzs/pzi come back set or unset from one read to the next.
_VOLATILE = (
    "last_test_result",
    "creation_time",
    "create_time",
    "update_time",
    "satisfies_pzs",
    "satisfies_pzi",
)
# Kinds whose content is stored per language (listed once per language): those with a
# translatable field (cxops/model/translatable.py), and the per-language generative settings.
_TRANSLATABLE = frozenset(
    {k.name for k in K.KINDS.values() if k.collection in translatable.TRANSLATABLE} | {"generative_settings"}
)

# The largest page of the v3 list requests' page_size ("By default 100 and at most 1000", e.g.
# ListChangelogsRequest): a large agent's intents in 2 calls a language, not 20.
PAGE = 1000

Collection = tuple[str, str]  # (kind, scope): scope is the flow or playbook display name, else ""


def collection_id(kind: str, scope: str) -> str:
    return f"{kind}:{scope}" if scope else kind


def _digest_of(messages: Iterable[Any]) -> bytes:
    # Only each message's own digest is kept: a listing is consumed a page at a time, so a
    # large agent's intents are never all in memory at once.
    parts: list[tuple[str, bytes]] = []
    for message in messages:
        pb = _raw(message)
        fields = {f.name for f in pb.DESCRIPTOR.fields}
        volatile = [name for name in _VOLATILE if name in fields]
        if volatile:
            pb = type(pb).FromString(pb.SerializeToString())
            for name in volatile:
                pb.ClearField(name)
        parts.append((str(pb.name), hashlib.sha256(pb.SerializeToString(deterministic=True)).digest()))
    digest = hashlib.sha256()
    for name, data_digest in sorted(parts):
        digest.update(name.encode() + b"\0" + data_digest)
    return digest.digest()


def digests(
    session: CxSession,
    agent_name: str,
    collections: Iterable[Collection],
    description: Callable[[str], str],
) -> dict[str, str]:
    """``collection_id`` -> sha256 of what the collection holds now, in every language of the
    agent. The agent itself is always one of them ("agent"), its description passed through
    ``description`` first (cxops's own lines there are no content). A flow or playbook that a
    scoped collection names but the agent does not have gives the digest of nothing."""
    call = session.call
    agent = _raw(call(session.agents.get_agent, cx.GetAgentRequest(name=agent_name), write=False))
    agent = type(agent).FromString(agent.SerializeToString())
    agent.description = description(agent.description)
    default = str(agent.default_language_code).lower()
    languages = [
        default,
        *(str(c).lower() for c in agent.supported_language_codes if str(c).lower() != default),
    ]
    out = {"agent": _digest_of([agent]).hex()}
    parents: dict[str, dict[str, str]] = {}  # flows / playbooks: display name -> resource name

    def parent_of(kind: str, scope: str) -> str | None:
        if kind not in parents:
            if kind == "flow":
                listed = session.list_all(
                    session.flows.list_flows, cx.ListFlowsRequest(page_size=PAGE, parent=agent_name)
                )
            else:
                request = cx.ListPlaybooksRequest(page_size=PAGE, parent=agent_name)
                listed = session.list_all(session.playbooks.list_playbooks, request)
            parents[kind] = {str(m.display_name): str(m.name) for m in listed}
        return parents[kind].get(scope)

    for kind, scope in sorted(set(collections)):
        if kind == "agent":
            continue
        langs = languages if kind in _TRANSLATABLE else [default]
        digest = hashlib.sha256()
        for language in langs:
            items = _listing(session, agent_name, kind, scope, language, parent_of)
            digest.update(language.encode() + b"\0" + _digest_of(items))
        out[collection_id(kind, scope)] = digest.hexdigest()
    return out


def _listing(
    session: CxSession,
    agent: str,
    kind: str,
    scope: str,
    language: str,
    parent_of: Callable[[str, str], str | None],
) -> Iterable[Any]:
    s = session
    if kind in ("page", "flow_route_group"):
        flow = parent_of("flow", scope)
        if flow is None:
            return []
        if kind == "page":
            return s.iter_all(
                s.pages.list_pages, cx.ListPagesRequest(page_size=PAGE, parent=flow, language_code=language)
            )
        request = cx.ListTransitionRouteGroupsRequest(page_size=PAGE, parent=flow, language_code=language)
        return s.iter_all(s.transition_route_groups.list_transition_route_groups, request)
    if kind == "example":
        playbook = parent_of("playbook", scope)
        if playbook is None:
            return []
        return s.iter_all(s.examples.list_examples, cx.ListExamplesRequest(page_size=PAGE, parent=playbook))
    if kind == "generative_settings":
        name = f"{agent}/generativeSettings"
        request = cx.GetGenerativeSettingsRequest(name=name, language_code=language)
        return [s.call(s.agents.get_generative_settings, request, write=False)]
    listings: dict[str, Callable[[], Iterable[Any]]] = {
        "flow": lambda: s.iter_all(
            s.flows.list_flows, cx.ListFlowsRequest(page_size=PAGE, parent=agent, language_code=language)
        ),
        "route_group": lambda: s.iter_all(
            s.transition_route_groups.list_transition_route_groups,
            cx.ListTransitionRouteGroupsRequest(page_size=PAGE, parent=agent, language_code=language),
        ),
        "intent": lambda: s.iter_all(
            s.intents.list_intents,
            cx.ListIntentsRequest(
                page_size=PAGE,
                parent=agent,
                language_code=language,
                intent_view=cx.IntentView.INTENT_VIEW_FULL,
            ),
        ),
        "entity_type": lambda: s.iter_all(
            s.entity_types.list_entity_types,
            cx.ListEntityTypesRequest(page_size=PAGE, parent=agent, language_code=language),
        ),
        "generator": lambda: s.iter_all(
            s.generators.list_generators,
            cx.ListGeneratorsRequest(page_size=PAGE, parent=agent, language_code=language),
        ),
        "webhook": lambda: s.iter_all(
            s.webhooks.list_webhooks, cx.ListWebhooksRequest(page_size=PAGE, parent=agent)
        ),
        "test_case": lambda: s.iter_all(
            s.test_cases.list_test_cases,
            cx.ListTestCasesRequest(
                page_size=PAGE, parent=agent, view=cx.ListTestCasesRequest.TestCaseView.FULL
            ),
        ),
        "tool": lambda: s.iter_all(s.tools.list_tools, cx.ListToolsRequest(page_size=PAGE, parent=agent)),
        "playbook": lambda: s.iter_all(
            s.playbooks.list_playbooks, cx.ListPlaybooksRequest(page_size=PAGE, parent=agent)
        ),
    }
    return listings[kind]()
