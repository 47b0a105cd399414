"""package_from_api: live API resources -> the JSON package an export gives; the stand-in's ExportAgent.

A bilingual agent covering every kind and translatable slot is built through the real client,
read back per language and checked field by field; every corpus agent goes the same way in
tests/test_pull.py (``pull --via list`` and ``--via export`` through the CLI).
"""

# Japanese text uses full-width punctuation, which RUF001 takes for look-alikes of ASCII.
# ruff: noqa: RUF001

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from conftest import PARENT
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import field_mask_pb2

from bench.synthetic import Spec, adopt_names, build_agent
from cxops.errors import ValidationError
from cxops.fake import FakeCX
from cxops.model.snapshot import Key, Snapshot
from cxops.package.files import read_zip_bytes
from cxops.package.fromapi import ApiAgent, ApiResource, package_from_api
from cxops.package.reader import snapshot_from_package

V3 = "google.cloud.dialogflow.cx.v3"
SYS_PREFIX = "projects/-/locations/-/agents/-/entityTypes/"
SPECIAL_PAGES = {
    "Start Page": "START_PAGE",
    "End Session": "END_SESSION",
    "End Flow": "END_FLOW",
    "Current Page": "CURRENT_PAGE",
    "Previous Page": "PREVIOUS_PAGE",
}


def raw(message: Any) -> Any:
    return type(message).pb(message)


# -- reading an agent through the API, as ``pull --via list`` does ---------------------------------


def read_api_agent(clients: Any, agent_name: str) -> ApiAgent:
    """Every resource of the agent, listed once per language for the translatable kinds."""
    agent = raw(clients.agents.get_agent(name=agent_name))
    default = str(agent.default_language_code).lower()
    languages = [default, *(c.lower() for c in agent.supported_language_codes if c.lower() != default)]
    resources: dict[str, ApiResource] = {}

    def collect(collection: str, listing: Any, language: str) -> list[Any]:
        items = [raw(item) for item in listing]
        for item in items:
            resource = resources.setdefault(item.name, ApiResource(collection, item.name, {}))
            resource.views[language] = item
        return items

    def per_language(collection: str, method: Any, **request: Any) -> list[Any]:
        items: dict[str, Any] = {}
        for lang in languages:
            for item in collect(collection, method(request={**request, "language_code": lang}), lang):
                items[item.name] = item
        return list(items.values())

    flows = per_language("flows", clients.flows.list_flows, parent=agent_name)
    for flow in flows:
        per_language("pages", clients.pages.list_pages, parent=flow.name)
        per_language(
            "transitionRouteGroups", clients.route_groups.list_transition_route_groups, parent=flow.name
        )
    per_language(
        "transitionRouteGroups", clients.route_groups.list_transition_route_groups, parent=agent_name
    )
    per_language(
        "intents", clients.intents.list_intents, parent=agent_name, intent_view=cx.IntentView.INTENT_VIEW_FULL
    )
    per_language("entityTypes", clients.entity_types.list_entity_types, parent=agent_name)
    per_language("generators", clients.generators.list_generators, parent=agent_name)
    collect("webhooks", clients.webhooks.list_webhooks(parent=agent_name), default)
    collect(
        "testCases",
        clients.test_cases.list_test_cases(
            request={"parent": agent_name, "view": cx.ListTestCasesRequest.TestCaseView.FULL}
        ),
        default,
    )
    collect("tools", clients.tools.list_tools(parent=agent_name), default)
    for playbook in collect("playbooks", clients.playbooks.list_playbooks(parent=agent_name), default):
        # Examples are listed per language (each holds its own language_code); not translatable.
        for lang in languages:
            examples = clients.examples.list_examples(
                request={"parent": playbook.name, "language_code": lang}
            )
            collect("examples", examples, default)
    settings = {}
    for lang in languages:
        got = raw(
            clients.agents.get_generative_settings(
                name=f"{agent_name}/generativeSettings", language_code=lang
            )
        )
        if any(f.name not in ("name", "language_code") for f, _ in got.ListFields()):
            settings[lang] = got
    return ApiAgent(agent=agent, resources=list(resources.values()), generative_settings=settings)


# -- what of a package the v3 API and the stand-in can hold ----------------------------------------

# Keys that are no v3 field but carry structure the loader reads.
KEEP_EXTRA: dict[str, frozenset[str]] = {
    f"{V3}.ResponseMessage": frozenset({"languageCode"}),
    f"{V3}.Page": frozenset({"agentTransitionRouteGroups", "flow"}),  # flow: a test turn's currentPage
    f"{V3}.Flow": frozenset({"agentTransitionRouteGroups"}),
    f"{V3}.Intent": frozenset({"numTrainingPhrases"}),
    f"{V3}.Intent.TrainingPhrase": frozenset({"languageCode"}),
    f"{V3}.EntityType.Entity": frozenset({"languageCode"}),
    f"{V3}.EntityType.ExcludedPhrase": frozenset({"languageCode"}),
}
# Fields holding references that older exports write as resource paths. One that names nothing
# in the package is kept relative to the agent (``tools/<id>``) by the reader.
PATH_FIELDS = frozenset(
    {
        (f"{V3}.ToolUse", "tool"),
        (f"{V3}.PlaybookInvocation", "playbook"),
        (f"{V3}.FlowInvocation", "flow"),
        (f"{V3}.PlaybookTransition", "playbook"),
        (f"{V3}.FlowTransition", "flow"),
        (f"{V3}.Playbook", "referenced_tools"),
    }
)
BUILT_IN_TOOLS = "tools/df-"  # e.g. tools/df-code-interpreter-tool
FREE_FORM = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}


SMALL = Spec(
    flows=2,
    pages_per_flow=3,
    intents=4,
    phrases_per_intent=2,
    entity_types=2,
    entries_per_entity_type=2,
    webhooks=1,
    route_groups=3,
    agent_route_groups=1,
    test_cases=5,
)
SYS_NUMBER = SYS_PREFIX + "sys.number"
OPENAPI = "openapi: 3.0.0\ninfo:\n  title: Lookup\n  version: '1'\npaths: {}\n"


def texts(*lines: str) -> cx.ResponseMessage:
    return cx.ResponseMessage(text=cx.ResponseMessage.Text(text=list(lines)))


def cases(line: str) -> list[cx.Fulfillment.ConditionalCases]:
    case = cx.Fulfillment.ConditionalCases.Case
    return [
        cx.Fulfillment.ConditionalCases(
            cases=[
                case(
                    condition='$session.params.vip = "yes"',
                    case_content=[case.CaseContent(message=texts(line))],
                ),
                case(case_content=[case.CaseContent(message=texts(line + "!"))]),
            ]
        )
    ]


def say(en: str, ja: str, lang: str) -> str:
    return en if lang == "en" else ja


def write_in_both(update: Any, build: Any) -> Any:
    """Write the en view, then the ja view onto the same routes and handlers."""
    written = raw(update(build("en"), "en"))
    ja = build("ja")
    adopt_names(written, ja)
    update(ja, "ja")
    return written


@dataclass
class Extras:
    agent: str
    flow: str
    ask: str
    done: str
    help_group: str
    agent_group: str
    generator: str
    tool: str
    playbook: str


def build_bilingual(clients: Any, channel: grpc.Channel) -> Extras:
    """The synthetic S-shaped agent (bench) plus every kind and slot the bench leaves out."""
    agent = build_agent(channel, SMALL, parent=PARENT, workers=2)
    c = clients
    intents = {i.display_name: i.name for i in c.intents.list_intents(parent=agent)}
    entity_types = {e.display_name: e.name for e in c.entity_types.list_entity_types(parent=agent)}
    webhook = next(iter(c.webhooks.list_webhooks(parent=agent))).name
    agent_group = next(iter(c.route_groups.list_transition_route_groups(parent=agent))).name
    other_flow = {f.display_name: f.name for f in c.flows.list_flows(parent=agent)}["Order Support"]

    generator = c.generators.create_generator(
        request={
            "parent": agent,
            "language_code": "en",
            "generator": cx.Generator(
                display_name="Summarize",
                prompt_text=cx.Phrase(text="Summarize $conversation"),
                placeholders=[cx.Generator.Placeholder(id="conversation", name="$conversation")],
                llm_model_settings=cx.LlmModelSettings(model="gemini-1.5-flash"),
            ),
        }
    ).name
    c.generators.update_generator(
        request={
            "generator": cx.Generator(
                name=generator, prompt_text=cx.Phrase(text="会話を要約: $conversation")
            ),
            "language_code": "ja",
            "update_mask": field_mask_pb2.FieldMask(paths=["prompt_text"]),
        }
    )
    tool = c.tools.create_tool(
        parent=agent,
        tool=cx.Tool(
            display_name="Lookup",
            description="Looks things up.",
            open_api_spec=cx.Tool.OpenApiTool(text_schema=OPENAPI),
        ),
    ).name
    playbook = c.playbooks.create_playbook(
        parent=agent,
        playbook=cx.Playbook(
            display_name="Helper",
            goal="Help the user.",
            instruction=cx.Playbook.Instruction(steps=[cx.Playbook.Step(text="Use ${TOOL: Lookup}.")]),
            referenced_tools=[tool],
        ),
    ).name
    for lang, utterance in (("en", "look it up"), ("ja", "調べて")):
        c.examples.create_example(
            parent=playbook,
            example=cx.Example(
                display_name=f"lookup {lang}",
                actions=[
                    cx.Action(user_utterance=cx.UserUtterance(text=utterance)),
                    cx.Action(tool_use=cx.ToolUse(tool=tool, action="lookup")),
                    cx.Action(agent_utterance=cx.AgentUtterance(text="done")),
                ],
                conversation_state=cx.OutputState.OUTPUT_STATE_OK,
                language_code=lang,
            ),
        )

    flow = c.flows.create_flow(
        request={
            "parent": agent,
            "language_code": "en",
            "flow": cx.Flow(
                display_name="Extras",
                nlu_settings=cx.NluSettings(
                    model_type=cx.NluSettings.ModelType.MODEL_TYPE_ADVANCED, classification_threshold=0.3
                ),
            ),
        }
    ).name
    ask = c.pages.create_page(parent=flow, page=cx.Page(display_name="Ask")).name
    done = c.pages.create_page(parent=flow, page=cx.Page(display_name="Done")).name
    intent_names = [intents[d] for d in sorted(intents) if not d.startswith("Default")]

    def group(lang: str) -> Any:
        return raw(
            cx.TransitionRouteGroup(
                display_name="Help",
                transition_routes=[
                    cx.TransitionRoute(
                        intent=intent_names[0],
                        trigger_fulfillment=cx.Fulfillment(
                            messages=[texts(say("Help is here.", "ヘルプです。", lang))]
                        ),
                        target_page=f"{flow}/pages/CURRENT_PAGE",
                    )
                ],
            )
        )

    help_group = c.route_groups.create_transition_route_group(
        request={
            "parent": flow,
            "language_code": "en",
            "transition_route_group": cx.TransitionRouteGroup.wrap(group("en")),
        }
    ).name

    def update_group(msg: Any, lang: str) -> Any:
        msg.name = help_group
        return c.route_groups.update_transition_route_group(
            request={"transition_route_group": cx.TransitionRouteGroup.wrap(msg), "language_code": lang}
        )

    write_in_both(update_group, group)

    specials = [
        "END_SESSION",
        "END_FLOW",
        "CURRENT_PAGE",
        "START_PAGE",
        "PREVIOUS_PAGE",
        "END_FLOW_WITH_FAILURE",
        "END_FLOW_WITH_CANCELLATION",
        "END_FLOW_WITH_HUMAN_ESCALATION",
    ]

    def ask_page(lang: str) -> Any:
        def line(en: str, ja: str) -> cx.ResponseMessage:
            return texts(say(en, ja, lang))

        routes = [
            cx.TransitionRoute(condition=f'$session.params.go = "{s}"', target_page=f"{flow}/pages/{s}")
            for s in specials
        ]
        routes.append(
            cx.TransitionRoute(
                intent=intent_names[1],
                condition="true",
                trigger_fulfillment=cx.Fulfillment(
                    messages=[line("Done.", "完了。")], conditional_cases=cases(say("VIP", "特別", lang))
                ),
                target_page=done,
            )
        )
        routes.append(cx.TransitionRoute(intent=intent_names[2], target_flow=other_flow))
        parameter = cx.Form.Parameter
        return raw(
            cx.Page(
                name=ask,
                display_name="Ask",
                entry_fulfillment=cx.Fulfillment(
                    messages=[
                        line("How can I help?", "ご用件は？"),
                        cx.ResponseMessage(payload={"b": 1, "a": [True, "x"]}),
                        cx.ResponseMessage(conversation_success=cx.ResponseMessage.ConversationSuccess()),
                    ],
                    webhook=webhook,
                    tag="ask",
                    set_parameter_actions=[cx.Fulfillment.SetParameterAction(parameter="p", value={"k": 2})],
                    conditional_cases=cases(say("Welcome back", "おかえりなさい", lang)),
                    generators=[
                        cx.Fulfillment.GeneratorSettings(
                            generator=generator,
                            input_parameters={"$conversation": "$session.params.c"},
                            output_parameter="s",
                        )
                    ],
                ),
                form=cx.Form(
                    parameters=[
                        parameter(
                            display_name="count",
                            entity_type=SYS_NUMBER,
                            required=True,
                            fill_behavior=parameter.FillBehavior(
                                initial_prompt_fulfillment=cx.Fulfillment(
                                    messages=[line("How many?", "いくつ？")]
                                ),
                                reprompt_event_handlers=[
                                    cx.EventHandler(
                                        event="sys.no-match-1",
                                        trigger_fulfillment=cx.Fulfillment(
                                            messages=[line("Count?", "数は？")]
                                        ),
                                    )
                                ],
                            ),
                        ),
                        parameter(
                            display_name="thing",
                            entity_type=entity_types["product"],
                            fill_behavior=parameter.FillBehavior(
                                initial_prompt_fulfillment=cx.Fulfillment(
                                    messages=[line("Which one?", "どれ？")]
                                )
                            ),
                        ),
                    ]
                ),
                transition_routes=routes,
                event_handlers=[
                    cx.EventHandler(
                        event="sys.no-match-default",
                        trigger_fulfillment=cx.Fulfillment(messages=[line("Sorry?", "すみません？")]),
                    ),
                    cx.EventHandler(event="handoff", target_playbook=playbook),
                ],
                transition_route_groups=[help_group, agent_group],
                knowledge_connector_settings=cx.KnowledgeConnectorSettings(
                    enabled=True,
                    trigger_fulfillment=cx.Fulfillment(messages=[texts("From the docs:")]),
                    target_page=done,
                ),
            )
        )

    def update_page(msg: Any, lang: str) -> Any:
        return c.pages.update_page(request={"page": cx.Page.wrap(msg), "language_code": lang})

    write_in_both(update_page, ask_page)

    def start(lang: str) -> Any:
        return raw(
            cx.Flow(
                name=flow,
                display_name="Extras",
                transition_routes=[
                    cx.TransitionRoute(
                        intent=intent_names[3],
                        trigger_fulfillment=cx.Fulfillment(
                            messages=[texts(say("Let's go.", "行きましょう。", lang))]
                        ),
                        target_page=ask,
                    )
                ],
                event_handlers=[
                    cx.EventHandler(
                        event="sys.no-input-default",
                        trigger_fulfillment=cx.Fulfillment(
                            messages=[texts(say("Hello?", "もしもし？", lang))]
                        ),
                    )
                ],
                transition_route_groups=[agent_group],
            )
        )

    def update_flow(msg: Any, lang: str) -> Any:
        mask = field_mask_pb2.FieldMask(
            paths=["transition_routes", "event_handlers", "transition_route_groups"]
        )
        return c.flows.update_flow(
            request={"flow": cx.Flow.wrap(msg), "language_code": lang, "update_mask": mask}
        )

    write_in_both(update_flow, start)

    c.test_cases.create_test_case(
        parent=agent,
        test_case=cx.TestCase(
            display_name="starts on Ask",
            tags=["#extras"],
            test_config=cx.TestConfig(page=ask),
            test_case_conversation_turns=[
                cx.ConversationTurn(
                    user_input=cx.ConversationTurn.UserInput(
                        input=cx.QueryInput(text=cx.TextInput(text="3"), language_code="en"),
                        injected_parameters={"vip": "yes"},
                    ),
                    virtual_agent_output=cx.ConversationTurn.VirtualAgentOutput(
                        triggered_intent=cx.Intent(name=intent_names[1]),
                        current_page=cx.Page(name=f"{flow}/pages/END_FLOW"),
                        session_parameters={"count": 3},
                        text_responses=[cx.ResponseMessage.Text(text=["Done."])],
                    ),
                )
            ],
        ),
    )
    for lang, prompt in (("en", "Say sorry."), ("ja", "謝ってください。")):
        c.agents.update_generative_settings(
            request={
                "generative_settings": cx.GenerativeSettings(
                    name=f"{agent}/generativeSettings",
                    language_code=lang,
                    fallback_settings=cx.GenerativeSettings.FallbackSettings(
                        selected_prompt="Default",
                        prompt_templates=[
                            cx.GenerativeSettings.FallbackSettings.PromptTemplate(
                                display_name="Default", prompt_text=prompt
                            )
                        ],
                    ),
                    llm_model_settings=cx.LlmModelSettings(model="gemini-1.5-flash"),
                )
            }
        )
    return Extras(agent, flow, ask, done, help_group, agent_group, generator, tool, playbook)


@pytest.fixture
def bilingual(clients: Any, channel: grpc.Channel) -> Extras:
    return build_bilingual(clients, channel)


def export(clients: Any, agent: str, **request: Any) -> Any:
    operation = clients.agents.export_agent(
        request=cx.ExportAgentRequest(
            name=agent, data_format=cx.ExportAgentRequest.DataFormat.JSON_PACKAGE, **request
        )
    )
    return operation.result(timeout=60)


def test_bilingual_agent_decodes_field_by_field(clients: Any, bilingual: Extras) -> None:
    files = package_from_api(read_api_agent(clients, bilingual.agent))
    snapshot, report = snapshot_from_package(files)
    assert report.ignored == [] and report.unresolved == []

    page = snapshot.resources[Key("page", "Extras", "Ask")]
    entry = page["entry_fulfillment"]
    assert entry["messages"] == {
        "en": [
            {"text": {"text": ["How can I help?"]}},
            {"payload": {"a": [True, "x"], "b": 1}},
            {"conversation_success": {}},
        ],
        "ja": [
            {"text": {"text": ["ご用件は？"]}},
            {"payload": {"a": [True, "x"], "b": 1}},
            {"conversation_success": {}},
        ],
    }
    assert [
        c["cases"][0]["case_content"][0]["message"]["text"]["text"] for c in entry["conditional_cases"]["ja"]
    ] == [["おかえりなさい"]]
    assert entry["webhook"] == "order-api" and entry["tag"] == "ask"
    assert entry["set_parameter_actions"] == [{"parameter": "p", "value": {"k": 2}}]
    assert entry["generators"] == [
        {
            "generator": "Summarize",
            "input_parameters": {"$conversation": "$session.params.c"},
            "output_parameter": "s",
        }
    ]
    count, thing = page["form"]["parameters"]
    assert count["entity_type"] == "@sys.number" and thing["entity_type"] == "@product"
    prompts = count["fill_behavior"]["initial_prompt_fulfillment"]["messages"]
    assert prompts == {"en": [{"text": {"text": ["How many?"]}}], "ja": [{"text": {"text": ["いくつ？"]}}]}
    reprompt = count["fill_behavior"]["reprompt_event_handlers"][0]["trigger_fulfillment"]["messages"]
    assert reprompt == {"en": [{"text": {"text": ["Count?"]}}], "ja": [{"text": {"text": ["数は？"]}}]}
    targets = [r.get("target_page") or r.get("target_flow") for r in page["transition_routes"]]
    assert targets == [
        "END_SESSION",
        "END_FLOW",
        "CURRENT_PAGE",
        "START_PAGE",
        "PREVIOUS_PAGE",
        "END_FLOW_WITH_FAILURE",
        "END_FLOW_WITH_CANCELLATION",
        "END_FLOW_WITH_HUMAN_ESCALATION",
        "Done",
        "Order Support",
    ]
    vip = page["transition_routes"][8]["trigger_fulfillment"]
    assert vip["messages"] == {"en": [{"text": {"text": ["Done."]}}], "ja": [{"text": {"text": ["完了。"]}}]}
    assert set(vip["conditional_cases"]) == {"en", "ja"}
    assert page["event_handlers"][0]["trigger_fulfillment"]["messages"]["ja"] == [
        {"text": {"text": ["すみません？"]}}
    ]
    assert page["event_handlers"][1]["target_playbook"] == "Helper"
    assert page["transition_route_groups"] == ["Help"]
    assert page["agent_transition_route_groups"] == ["Navigation"]
    knowledge = page["knowledge_connector_settings"]
    assert knowledge["target_page"] == "Done"
    assert knowledge["trigger_fulfillment"]["messages"] == {"en": [{"text": {"text": ["From the docs:"]}}]}

    flow = snapshot.resources[Key("flow", "", "Extras")]
    assert flow["transition_routes"][0]["target_page"] == "Ask"
    assert flow["event_handlers"][0]["trigger_fulfillment"]["messages"]["ja"] == [
        {"text": {"text": ["もしもし？"]}}
    ]
    assert flow["nlu_settings"] == {"model_type": "MODEL_TYPE_ADVANCED", "classification_threshold": 0.3}
    assert flow["agent_transition_route_groups"] == ["Navigation"]
    group = snapshot.resources[Key("flow_route_group", "Extras", "Help")]
    assert group["transition_routes"][0]["target_page"] == "CURRENT_PAGE"
    assert group["transition_routes"][0]["trigger_fulfillment"]["messages"]["ja"] == [
        {"text": {"text": ["ヘルプです。"]}}
    ]
    assert Key("route_group", "", "Navigation") in snapshot.resources
    assert (
        Key("flow_route_group", "Order Support", "Navigation") in snapshot.resources
    )  # same name, other scope

    intent = next(b for k, b in snapshot.of_kind("intent") if b.get("parameters"))
    assert set(intent["training_phrases"]) == {"en", "ja"}
    assert len(intent["training_phrases"]["ja"]) == SMALL.phrases_per_intent
    entity_type = snapshot.resources[Key("entity_type", "", "product")]
    assert set(entity_type["entities"]) == {"en", "ja"} and entity_type["excluded_phrases"] == {
        "en": ["any", "whatever"],
        "ja": ["何でも", "どれでも"],
    }
    generator = snapshot.resources[Key("generator", "", "Summarize")]
    assert generator["prompt_text"] == {"en": "Summarize $conversation", "ja": "会話を要約: $conversation"}
    assert generator["placeholders"] == [{"id": "conversation", "name": "$conversation"}]
    assert snapshot.resources[Key("tool", "", "Lookup")]["open_api_spec"] == {"text_schema": OPENAPI}
    assert snapshot.resources[Key("playbook", "", "Helper")]["referenced_tools"] == ["Lookup"]
    example = snapshot.resources[Key("example", "Helper", "lookup ja")]
    assert example["actions"][1] == {"tool_use": {"tool": "Lookup", "action": "lookup"}}
    assert example["language_code"] == "ja"
    webhook = snapshot.resources[Key("webhook", "", "order-api")]
    assert webhook["generic_web_service"]["request_headers"] == {"X-Bench-Client": "cxops-bench"}
    assert webhook["timeout"] == {"seconds": 5}

    test = snapshot.resources[Key("test_case", "", "starts on Ask")]
    assert test["test_config"] == {"flow": "Extras", "page": "Ask"}
    output = test["test_case_conversation_turns"][0]["virtual_agent_output"]
    assert output["triggered_intent"] == {"name": intent_names_of(snapshot)[1]}
    assert output["current_page"] == {"name": "End Flow", "flow": "Extras"}
    assert output["session_parameters"] == {"count": 3}
    ja_test = next(b for k, b in snapshot.of_kind("test_case") if "#ja" in b.get("tags", []))
    turn = ja_test["test_case_conversation_turns"][0]
    assert turn["user_input"]["input"]["language_code"] == "ja"
    assert turn["virtual_agent_output"]["current_page"]["flow"] in {"Order Support", "Billing Support"}

    settings = snapshot.resources[Key("generative_settings", "", "")]
    assert settings["ja"]["fallback_settings"]["prompt_templates"][0]["prompt_text"] == "謝ってください。"
    assert snapshot.agent["start_flow"] == "Default Start Flow"
    assert snapshot.agent["supported_language_codes"] == ["ja"]


def intent_names_of(snapshot: Snapshot) -> list[str]:
    return sorted(k.name for k, _ in snapshot.of_kind("intent") if not k.name.startswith("Default"))


# -- ExportAgent in the stand-in, and determinism ---------------------------------------------------


def test_export_agent_equals_the_package_read_through_list(clients: Any, bilingual: Extras) -> None:
    listed = package_from_api(read_api_agent(clients, bilingual.agent))
    response = export(clients, bilingual.agent)
    exported = read_zip_bytes(response.agent_content)
    assert sorted(exported) == sorted(listed)
    assert all(exported[p] == listed[p] for p in listed)
    # Every kind has its files, in the export's layout.
    for path in (
        "agent.json",
        "flows/Extras/Extras.json",
        "flows/Extras/pages/Ask.json",
        "flows/Extras/transitionRouteGroups/Help.json",
        "agentTransitionRouteGroups/Navigation.json",
        "generators/Summarize/Summarize.json",
        "generators/Summarize/phrases/ja.json",
        "tools/Lookup/Lookup.json",
        "tools/Lookup/schema.yaml",
        "playbooks/Helper/Helper.json",
        "playbooks/Helper/examples/lookup ja.json",
        "webhooks/order-api.json",
        "testCases/starts on Ask.json",
        "entityTypes/product/entities/ja.json",
        "entityTypes/product/excludedPhrases/ja.json",
        "generativeSettings/en.json",
        "generativeSettings/ja.json",
    ):
        assert path in exported, path
    assert any(p.startswith("intents/") and p.endswith("/trainingPhrases/ja.json") for p in exported)


def test_export_json_is_written_as_google_writes_it(clients: Any, bilingual: Extras) -> None:
    files = read_zip_bytes(export(clients, bilingual.agent).agent_content)
    flow = json.loads(files["flows/Extras/Extras.json"])
    assert flow["name"] == bilingual.flow.rsplit("/", 1)[-1]  # the bare UUID
    assert list(flow)[:2] == ["name", "displayName"]
    assert b'"classificationThreshold": 0.30000001' in files["flows/Extras/Extras.json"]
    page = json.loads(files["flows/Extras/pages/Ask.json"])
    entry = page["entryFulfillment"]
    assert [m.get("languageCode") for m in entry["messages"]] == ["en", "en", "en", "ja", "ja", "ja"]
    assert entry["messages"][2] == {
        "conversationSuccess": {},
        "languageCode": "en",
    }  # a set oneof member, empty
    assert entry["setParameterActions"] == [{"parameter": "p", "value": {"k": 2}}]
    assert entry["generators"][0]["generator"] == bilingual.generator  # generators stay resource paths
    assert entry["generators"][0]["inputParameters"] == [
        {"key": "$conversation", "value": "$session.params.c"}
    ]
    case = entry["conditionalCases"][1]["cases"][0]
    assert case["caseContent"][0]["message"] == {"text": {"text": ["おかえりなさい"]}, "languageCode": "ja"}
    assert "languageCode" not in entry["conditionalCases"][1]
    assert page["transitionRouteGroups"] == ["Help"] and page["agentTransitionRouteGroups"] == ["Navigation"]
    assert [r["targetPage"] for r in page["transitionRoutes"][:8]] == [
        "End Session",
        "End Flow",
        "Current Page",
        "Start Page",
        "Previous Page",
        "END_FLOW_WITH_FAILURE",
        "END_FLOW_WITH_CANCELLATION",
        "END_FLOW_WITH_HUMAN_ESCALATION",
    ]
    assert page["form"]["parameters"][0]["entityType"] == "@sys.number"
    webhook = json.loads(files["webhooks/order-api.json"])
    assert webhook["timeout"] == {"seconds": 5}
    assert webhook["genericWebService"]["requestHeaders"] == [
        {"key": "X-Bench-Client", "value": "cxops-bench"}
    ]
    test = json.loads(files["testCases/starts on Ask.json"])
    assert isinstance(test["creationTime"]["seconds"], int) and isinstance(test["creationTime"]["nanos"], int)
    assert test["testConfig"] == {"flow": "Extras", "page": "Ask"}
    assert "lastTestResult" not in test
    intent_path = next(
        p for p in files if p.startswith("intents/") and p.endswith("/trainingPhrases/ja.json")
    )
    phrase = json.loads(files[intent_path])["trainingPhrases"][0]
    assert list(phrase) == ["id", "parts", "repeatCount", "languageCode"] and phrase["languageCode"] == "ja"
    intent = json.loads(
        files[intent_path.replace("/trainingPhrases/ja.json", "") + "/" + intent_path.split("/")[1] + ".json"]
    )
    assert intent["numTrainingPhrases"] == 2 * SMALL.phrases_per_intent
    # numTrainingPhrases (export-only) sits between description (8) and dtmfPattern (16).
    assert [k for k in intent if k not in ("parameters",)] == [
        "name",
        "displayName",
        "priority",
        "labels",
        "description",
        "numTrainingPhrases",
    ]
    assert intent["labels"][0].keys() == {"key", "value"}
    entity = json.loads(files["entityTypes/product/entities/ja.json"])["entities"][0]
    assert list(entity) == ["value", "synonyms", "languageCode"]
    assert json.loads(files["generators/Summarize/phrases/ja.json"]) == {
        "promptTexts": [{"text": "会話を要約: $conversation", "languageCode": "ja"}]
    }
    tool = json.loads(files["tools/Lookup/Lookup.json"])
    assert "textSchema" not in json.dumps(tool) and files["tools/Lookup/schema.yaml"] == OPENAPI.encode()
    settings = json.loads(files["generativeSettings/ja.json"])
    assert "name" not in settings and settings["languageCode"] == "ja"
    agent = json.loads(files["agent.json"])
    assert "name" not in agent and agent["startFlow"] == "Default Start Flow"
    example = json.loads(files["playbooks/Helper/examples/lookup ja.json"])
    assert example["actions"][1]["toolUse"]["tool"] == "Lookup" and example["languageCode"] == "ja"
    assert "createTime" not in example and "updateTime" not in example


def test_shuffled_listings_give_byte_identical_packages(
    fake: FakeCX, clients: Any, bilingual: Extras
) -> None:
    plain = package_from_api(read_api_agent(clients, bilingual.agent))
    fake.shuffle_seed = 11
    first = package_from_api(read_api_agent(clients, bilingual.agent))
    second = package_from_api(read_api_agent(clients, bilingual.agent))
    assert first == plain and second == plain
    assert export(clients, bilingual.agent).agent_content == export(clients, bilingual.agent).agent_content


def test_export_to_a_gcs_uri_keeps_the_zip_in_the_stand_in(
    fake: FakeCX, clients: Any, agent: cx.Agent
) -> None:
    fake.operation_polls = 1  # the client polls the operation until it reports done
    response = export(clients, agent.name, agent_uri="gs://bucket/exports/agent.zip")
    assert response.agent_uri == "gs://bucket/exports/agent.zip" and not response.agent_content
    files = read_zip_bytes(fake.service.gcs["gs://bucket/exports/agent.zip"])
    snapshot, _ = snapshot_from_package(files)
    assert snapshot.agent["display_name"] == "Test Agent"
    assert {k.name for k, _ in snapshot.of_kind("intent")} == {
        "Default Welcome Intent",
        "Default Negative Intent",
    }
    assert snapshot.resources[Key("flow", "", "Default Start Flow")]["transition_routes"][0]["intent"] == (
        "Default Welcome Intent"
    )


@pytest.mark.parametrize(
    ("request_fields", "error"),
    [
        pytest.param({"data_format": cx.ExportAgentRequest.DataFormat.BLOB}, gexc.InvalidArgument, id="blob"),
        pytest.param({}, gexc.InvalidArgument, id="unspecified-is-blob"),
        pytest.param(
            {"data_format": cx.ExportAgentRequest.DataFormat.JSON_PACKAGE, "agent_uri": "https://x/y"},
            gexc.InvalidArgument,
            id="not-gcs",
        ),
        pytest.param(
            {"data_format": cx.ExportAgentRequest.DataFormat.JSON_PACKAGE, "environment": "x/environments/e"},
            gexc.MethodNotImplemented,
            id="environment",
        ),
    ],
)
def test_export_agent_refuses_what_it_cannot_do(
    clients: Any, agent: cx.Agent, request_fields: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        clients.agents.export_agent(request=cx.ExportAgentRequest(name=agent.name, **request_fields)).result()
    if (
        "data_format" not in request_fields
        or request_fields["data_format"] == cx.ExportAgentRequest.DataFormat.BLOB
    ):
        assert "JSON_PACKAGE" in str(raised.value)


def test_export_of_a_missing_agent_is_not_found(clients: Any) -> None:
    with pytest.raises(gexc.NotFound):
        export(clients, f"{PARENT}/agents/00000000-0000-0000-0000-00000000dead")


# -- package_from_api on hand-made resources -----------------------------------------------------------

AGENT = f"{PARENT}/agents/a"


def resource(collection: str, name: str, **views: Any) -> ApiResource:
    return ApiResource(collection, f"{AGENT}/{name}", {lang: raw(v) for lang, v in views.items()})


def small_agent(*resources: ApiResource, **agent: Any) -> ApiAgent:
    fields = {"display_name": "A", "default_language_code": "en", "time_zone": "Europe/Paris", **agent}
    return ApiAgent(agent=raw(cx.Agent(name=AGENT, **fields)), resources=list(resources))


def test_resource_order_does_not_matter() -> None:
    flow = resource("flows", "flows/f", en=cx.Flow(name=f"{AGENT}/flows/f", display_name="F"))
    pages = [
        resource(
            "pages",
            f"flows/f/pages/p{i}",
            en=cx.Page(name=f"{AGENT}/flows/f/pages/p{i}", display_name=f"P{i}"),
        )
        for i in range(5)
    ]
    forward = package_from_api(small_agent(flow, *pages))
    backward = package_from_api(small_agent(*reversed(pages), flow))
    assert forward == backward and list(forward) == list(backward)


def test_file_names_are_percent_encoded_display_names() -> None:
    name = "Ask / tell (now): é"
    flow = resource("flows", "flows/f", en=cx.Flow(name=f"{AGENT}/flows/f", display_name=name))
    files = package_from_api(small_agent(flow))
    assert "flows/Ask %2f tell %28now%29%3a %c3%a9/Ask %2f tell %28now%29%3a %c3%a9.json" in files


def test_two_resources_in_one_file_are_refused() -> None:
    a = resource("webhooks", "webhooks/a", en=cx.Webhook(name=f"{AGENT}/webhooks/a", display_name="W"))
    b = resource("webhooks", "webhooks/b", en=cx.Webhook(name=f"{AGENT}/webhooks/b", display_name="W"))
    with pytest.raises(ValidationError, match="both be written"):
        package_from_api(small_agent(a, b))


def test_a_page_without_its_flow_is_refused() -> None:
    page = resource("pages", "flows/f/pages/p", en=cx.Page(name=f"{AGENT}/flows/f/pages/p", display_name="P"))
    with pytest.raises(ValidationError, match="was not read"):
        package_from_api(small_agent(page))


def test_unknown_references_stay_resource_paths() -> None:
    missing = f"{AGENT}/intents/gone"
    flow = resource(
        "flows",
        "flows/f",
        en=cx.Flow(
            name=f"{AGENT}/flows/f",
            display_name="F",
            transition_routes=[
                cx.TransitionRoute(intent=missing, target_page=f"{AGENT}/flows/f/pages/PLAYBOOK_START")
            ],
        ),
    )
    route = json.loads(package_from_api(small_agent(flow))["flows/F/F.json"])["transitionRoutes"][0]
    assert route == {"intent": missing, "targetPage": "PLAYBOOK_START"}


def test_response_message_language_sits_where_exports_put_it() -> None:
    message = cx.ResponseMessage
    flow = resource(
        "flows",
        "flows/f",
        en=cx.Flow(
            name=f"{AGENT}/flows/f",
            display_name="F",
            event_handlers=[
                cx.EventHandler(
                    event="e",
                    trigger_fulfillment=cx.Fulfillment(
                        messages=[
                            message(text=message.Text(text=["hi"]), channel="web"),
                            message(telephony_transfer_call=message.TelephonyTransferCall(phone_number="+1")),
                            message(live_agent_handoff=message.LiveAgentHandoff(metadata={"b": 1, "a": 2})),
                        ]
                    ),
                )
            ],
        ),
    )
    flow_json = json.loads(package_from_api(small_agent(flow))["flows/F/F.json"])
    messages = flow_json["eventHandlers"][0]["triggerFulfillment"]["messages"]
    assert [list(m) for m in messages] == [
        ["text", "languageCode", "channel"],
        ["languageCode", "telephonyTransferCall"],
        ["liveAgentHandoff", "languageCode"],
    ]
    assert list(messages[2]["liveAgentHandoff"]["metadata"]) == ["a", "b"]  # Struct keys sorted


def test_entity_type_references() -> None:
    custom = resource(
        "entityTypes",
        "entityTypes/e",
        en=cx.EntityType(name=f"{AGENT}/entityTypes/e", display_name="sys.email", kind=1),
    )
    intent = resource(
        "intents",
        "intents/i",
        en=cx.Intent(
            name=f"{AGENT}/intents/i",
            display_name="I",
            parameters=[
                cx.Intent.Parameter(id="a", entity_type=f"{AGENT}/entityTypes/e"),
                cx.Intent.Parameter(id="b", entity_type=SYS_PREFIX + "sys.email"),
                cx.Intent.Parameter(id="c", entity_type=f"{AGENT}/entityTypes/sys.date"),
            ],
        ),
    )
    files = package_from_api(small_agent(custom, intent))
    parameters = json.loads(files["intents/I/I.json"])["parameters"]
    assert [p["entityType"] for p in parameters] == ["@sys.email", "@sys.email", "@sys.date"]
    assert "numTrainingPhrases" not in json.loads(files["intents/I/I.json"])
    assert [p for p in files if p.startswith("intents/")] == ["intents/I/I.json"]  # no phrases, no file


def test_proto_plus_messages_are_taken_as_they_come_from_the_client() -> None:
    flow = cx.Flow(
        name=f"{AGENT}/flows/f", display_name="F", nlu_settings=cx.NluSettings(classification_threshold=0.3)
    )
    agent = cx.Agent(name=AGENT, display_name="A", default_language_code="en", time_zone="Europe/Paris")
    wrapped = ApiAgent(agent=agent, resources=[ApiResource("flows", flow.name, {"en": flow})])
    plain = ApiAgent(agent=raw(agent), resources=[ApiResource("flows", flow.name, {"en": raw(flow)})])
    assert package_from_api(wrapped) == package_from_api(plain)
