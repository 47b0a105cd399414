"""`cxops demo`: the main job end to end on the embedded stand-in.

Today it starts the stand-in, creates the dev, stg and prd agents, seeds dev the way a console
user would (an entity type, a webhook, bilingual intents, a flow with pages) and reads dev back.
The pull / diff / plan / apply steps join as those commands land.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from google.cloud import dialogflowcx_v3 as cx

from cxops.checks import check_agent
from cxops.cx import ConnectionSettings, CxSession, ErrorContext
from cxops.fake import FakeCX
from cxops.pull import pull
from cxops.stages import Via

LOCATION = "global"
STAGES = ("dev", "stg", "prd")

Say = Callable[[str], None]


def _text(*lines: str) -> list[cx.ResponseMessage]:
    return [cx.ResponseMessage(text=cx.ResponseMessage.Text(text=list(lines)))]


def _phrase(*parts: tuple[str, str]) -> cx.Intent.TrainingPhrase:
    return cx.Intent.TrainingPhrase(
        parts=[cx.Intent.TrainingPhrase.Part(text=text, parameter_id=param) for text, param in parts],
        repeat_count=1,
    )


def seed_dev(session: CxSession, agent: str, say: Say) -> None:
    """Build a small order-status bot in dev, in English and Japanese."""
    call = session.call
    entity = call(
        session.entity_types.create_entity_type,
        cx.CreateEntityTypeRequest(
            parent=agent,
            entity_type=cx.EntityType(
                display_name="carrier",
                kind=cx.EntityType.Kind.KIND_MAP,
                entities=[
                    cx.EntityType.Entity(value="yamato", synonyms=["yamato", "kuroneko"]),
                    cx.EntityType.Entity(value="sagawa", synonyms=["sagawa"]),
                ],
            ),
        ),
        write=True,
    )
    ja = cx.EntityType(
        name=entity.name,
        entities=[
            cx.EntityType.Entity(value="yamato", synonyms=["ヤマト", "クロネコ"]),
            cx.EntityType.Entity(value="sagawa", synonyms=["佐川"]),
        ],
    )
    call(
        session.entity_types.update_entity_type,
        cx.UpdateEntityTypeRequest(entity_type=ja, language_code="ja", update_mask={"paths": ["entities"]}),
        write=True,
    )
    say("  entity type  carrier (en, ja)")
    webhook = call(
        session.webhooks.create_webhook,
        cx.CreateWebhookRequest(
            parent=agent,
            webhook=cx.Webhook(
                display_name="orders-api",
                generic_web_service=cx.Webhook.GenericWebService(
                    uri="https://orders.dev.example.com/cx", request_headers={"X-Api-Key": "dev-key-123"}
                ),
                timeout={"seconds": 5},
            ),
        ),
        write=True,
    )
    say("  webhook      orders-api")
    intents: dict[str, str] = {}
    for name, en, ja_phrase in (
        (
            "order.status",
            [_phrase(("where is my order ", ""), ("12345", "order_id"))],
            [_phrase(("注文 ", ""), ("12345", "order_id"), (" はどこ", ""))],
        ),
        (
            "order.carrier",
            [_phrase(("shipped with ", ""), ("yamato", "carrier"))],
            [_phrase(("配送は ", ""), ("ヤマト", "carrier"))],
        ),
    ):
        intent = call(
            session.intents.create_intent,
            cx.CreateIntentRequest(
                parent=agent,
                intent=cx.Intent(
                    display_name=name,
                    training_phrases=en,
                    parameters=[
                        cx.Intent.Parameter(
                            id="order_id",
                            entity_type="projects/-/locations/-/agents/-/entityTypes/sys.number",
                        ),
                        cx.Intent.Parameter(id="carrier", entity_type=entity.name),
                    ],
                ),
            ),
            write=True,
        )
        call(
            session.intents.update_intent,
            cx.UpdateIntentRequest(
                intent=cx.Intent(name=intent.name, training_phrases=ja_phrase),
                language_code="ja",
                update_mask={"paths": ["training_phrases"]},
            ),
            write=True,
        )
        intents[name] = intent.name
        say(f"  intent       {name} (en, ja)")
    flow = call(
        session.flows.create_flow,
        cx.CreateFlowRequest(parent=agent, flow=cx.Flow(display_name="Order Status")),
        write=True,
    )
    lookup = call(
        session.pages.create_page,
        cx.CreatePageRequest(
            parent=flow.name,
            page=cx.Page(
                display_name="Look up order",
                entry_fulfillment=cx.Fulfillment(
                    messages=_text("Let me check that order."), webhook=webhook.name, tag="lookup"
                ),
            ),
        ),
        write=True,
    )
    call(
        session.pages.update_page,
        cx.UpdatePageRequest(
            page=cx.Page(
                name=lookup.name, entry_fulfillment=cx.Fulfillment(messages=_text("ご注文を確認します。"))
            ),
            language_code="ja",
            update_mask={"paths": ["entry_fulfillment.messages"]},
        ),
        write=True,
    )
    say("  flow         Order Status, page Look up order (en, ja)")
    call(
        session.flows.update_flow,
        cx.UpdateFlowRequest(
            flow=cx.Flow(
                name=flow.name,
                display_name="Order Status",
                transition_routes=[
                    cx.TransitionRoute(intent=intents["order.status"], target_page=lookup.name),
                    cx.TransitionRoute(
                        condition="$session.params.order_id != null",
                        target_page=f"{flow.name}/pages/END_FLOW",
                    ),
                ],
            ),
            update_mask={"paths": ["transition_routes"]},
        ),
        write=True,
    )
    say("  routes       order.status -> Look up order; order_id set -> END_FLOW")


def count_resources(session: CxSession, agent: str) -> dict[str, int]:
    flows = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent))
    pages = sum(
        len(session.list_all(session.pages.list_pages, cx.ListPagesRequest(parent=f.name))) for f in flows
    )
    return {
        "flows": len(flows),
        "pages": pages,
        "intents": len(session.list_all(session.intents.list_intents, cx.ListIntentsRequest(parent=agent))),
        "entity types": len(
            session.list_all(session.entity_types.list_entity_types, cx.ListEntityTypesRequest(parent=agent))
        ),
        "webhooks": len(
            session.list_all(session.webhooks.list_webhooks, cx.ListWebhooksRequest(parent=agent))
        ),
    }


def write_stages(repo: Path, agents: dict[str, str]) -> None:
    """environments/<stage>.yaml for the demo's three agents (prd protected)."""
    folder = repo / "environments"
    folder.mkdir(parents=True)
    for stage, name in agents.items():
        _, project, _, location, _, agent_id = name.split("/")
        protected = "true\napprovals_required: 1" if stage == "prd" else "false"
        source = {"stg": "dev", "prd": "stg"}.get(stage)
        (folder / f"{stage}.yaml").write_text(
            f"agent: orders\nproject: {project}\nlocation: {location}\nagent_id: {agent_id}\n"
            f"protected: {protected}\n"
            + (f"source: {source}\n" if source else "")
            + "secrets:\n  orders-api/X-Api-Key: env:ORDERS_API_KEY\n",
            encoding="utf-8",
        )


def run(say: Say) -> int:
    began = time.monotonic()
    with FakeCX() as fake:
        say(f"1. started the CX stand-in at {fake.address}")
        say(f"   (in your repo: cxops fake serve, then export CXOPS_EMULATOR_HOST={fake.address})")
        agents: dict[str, str] = {}
        for stage in STAGES:
            project = f"cxops-demo-{stage}"
            with CxSession(
                ConnectionSettings(location=LOCATION, emulator_host=fake.address),
                context=ErrorContext(stage=stage),
            ) as session:
                agent = session.call(
                    session.agents.create_agent,
                    cx.CreateAgentRequest(
                        parent=f"projects/{project}/locations/{LOCATION}",
                        agent=cx.Agent(
                            display_name="Order Desk",
                            default_language_code="en",
                            supported_language_codes=["ja"],
                            time_zone="Asia/Tokyo",
                        ),
                    ),
                    write=True,
                )
            agents[stage] = agent.name
        say("2. created the agents of the three stages:")
        for stage, name in agents.items():
            say(f"   {stage}: {name}")
        with CxSession(ConnectionSettings(location=LOCATION, emulator_host=fake.address)) as session:
            say("3. a bot developer builds in dev, as in the CX console:")
            seed_dev(session, agents["dev"], say)
            say("4. read back through the CX API:")
            for stage in STAGES:
                counts = count_resources(session, agents[stage])
                say(f"   {stage}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
        with tempfile.TemporaryDirectory(prefix="cxops-demo-") as tmp:
            repo = Path(tmp)
            write_stages(repo, agents)
            say(f"5. cxops pull dev   (a repo in {repo}: environments/dev.yaml, stg.yaml, prd.yaml)")
            outcome = pull(repo, "dev", Via.export, fake.address, None)
            say(
                f"   {outcome.tree}: {outcome.resources} resources in {len(outcome.sync.written)} files, "
                "one YAML file per resource, every language in it"
            )
            for note in outcome.secrets:
                say(f"   secret ${{secret:{note.placeholder}}} written instead of the value ({note.source})")
            intent = repo / outcome.tree / "intents" / "order.status.yaml"
            say("   intents/order.status.yaml:")
            for line in intent.read_text(encoding="utf-8").splitlines():
                say(f"     {line}")
            findings = check_agent(repo, "orders")
            say(f"6. cxops validate orders: {len(findings)} problem(s)")
            listed = pull(repo, "dev", Via.list, fake.address, None)
            say(
                f"7. cxops pull dev --via list: {len(listed.sync.written)} files rewritten "
                "(the same tree, read resource by resource)"
            )
        say(
            f"8. {sum(fake.calls.values())} API calls ({fake.write_count()} writes) "
            f"in {time.monotonic() - began:.1f}s"
        )
    say("Next: diff dev↔stg, plan, approve and apply join this demo as they land.")
    return 0
