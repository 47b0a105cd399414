"""A console user, played through the real client: what the demo (and tests) do to a live agent
the way someone clicking in the CX console would."""

from __future__ import annotations

from typing import Any

from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import duration_pb2

from cxops.cx import CxSession


def create_agent(session: CxSession, parent: str, display_name: str) -> Any:
    """An empty agent as the console's "Create agent" makes one (en + ja, Tokyo)."""
    return session.call(
        session.agents.create_agent,
        cx.CreateAgentRequest(
            parent=parent,
            agent=cx.Agent(
                display_name=display_name,
                default_language_code="en",
                supported_language_codes=["ja"],
                time_zone="Asia/Tokyo",
            ),
        ),
        write=True,
    )


def console_edit(session: CxSession, agent: str) -> list[str]:
    """What a bot developer does in the console: a new phrase in both languages, a reworded reply."""
    intents = session.list_all(session.intents.list_intents, cx.ListIntentsRequest(parent=agent))
    status = next(i for i in intents if i.display_name == "order.status")
    done = []
    for language, text in (("en", "has my parcel left the warehouse"), ("ja", "荷物はもう発送されましたか")):
        intent = session.call(
            session.intents.get_intent,
            cx.GetIntentRequest(name=status.name, language_code=language),
            write=False,
        )
        intent.training_phrases.append(
            cx.Intent.TrainingPhrase(parts=[cx.Intent.TrainingPhrase.Part(text=text)], repeat_count=1)
        )
        session.call(
            session.intents.update_intent,
            cx.UpdateIntentRequest(
                intent=intent, language_code=language, update_mask={"paths": ["training_phrases"]}
            ),
            write=True,
        )
        done.append(f'intent order.status: + "{text}" ({language})')
    hook = webhooks(session, agent)[0]
    hook.timeout = duration_pb2.Duration(seconds=8)
    session.call(
        session.webhooks.update_webhook,
        cx.UpdateWebhookRequest(webhook=hook, update_mask={"paths": ["timeout"]}),
        write=True,
    )
    done.append(f"webhook {hook.display_name}: timeout 8s")
    return done


def webhooks(session: CxSession, agent: str) -> list[Any]:
    return session.list_all(session.webhooks.list_webhooks, cx.ListWebhooksRequest(parent=agent))


def edit_page(
    session: CxSession,
    agent: str,
    page: tuple[str, str],
    language: str,
    *,
    entry: str | None = None,
    no: str | None = None,
) -> None:
    """Save page (flow, page) in the console: its entry message in ``language``, or the reply
    of its first route that has one."""
    flows = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent))
    flow = next(f for f in flows if f.display_name == page[0])
    pages = session.list_all(session.pages.list_pages, cx.ListPagesRequest(parent=flow.name))
    name = next(p for p in pages if p.display_name == page[1]).name
    found = session.call(
        session.pages.get_page, cx.GetPageRequest(name=name, language_code=language), write=False
    )
    if entry is not None:
        found.entry_fulfillment.messages[0].text.text[:] = [entry]
        mask = ["entry_fulfillment"]
    else:
        route = next(r for r in found.transition_routes if r.trigger_fulfillment.messages)
        route.trigger_fulfillment.messages[0].text.text[:] = [str(no)]
        mask = ["transition_routes"]
    session.call(
        session.pages.update_page,
        cx.UpdatePageRequest(page=found, language_code=language, update_mask={"paths": mask}),
        write=True,
    )
