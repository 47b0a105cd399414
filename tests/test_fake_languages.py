"""Contract: per-language storage of every translatable field in `cxops.fake.kinds.TRANSLATABLE`.

One row per (collection, slot, field). Each row builds a resource with a marker text in exactly
that field, writes it in en, writes it again in ja with another marker, and reads both back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import field_mask_pb2

from cxops.fake.kinds import TRANSLATABLE

SYS_ANY = "projects/-/locations/-/agents/-/entityTypes/sys.any"


def text(*lines: str) -> cx.ResponseMessage:
    return cx.ResponseMessage(text=cx.ResponseMessage.Text(text=list(lines)))


def fulfillment(field: str, marker: str) -> cx.Fulfillment:
    """A fulfillment whose only content is ``marker`` in ``field``."""
    if field == "messages":
        return cx.Fulfillment(messages=[text(marker)])
    case = cx.Fulfillment.ConditionalCases.Case
    return cx.Fulfillment(
        conditional_cases=[
            cx.Fulfillment.ConditionalCases(
                cases=[
                    case(
                        condition='$session.params.x = "1"',
                        case_content=[case.CaseContent(message=text(marker))],
                    )
                ]
            )
        ]
    )


def fulfillment_texts(f: cx.Fulfillment) -> list[str]:
    out = [t for m in f.messages for t in m.text.text]
    for cases in f.conditional_cases:
        for case in cases.cases:
            out += [t for content in case.case_content for t in content.message.text.text]
    return out


# -- the table: one row per translatable field ----------------------------------------------------


@dataclass(frozen=True)
class Row:
    collection: str  # as in TRANSLATABLE
    steps: tuple[str, ...]  # the slot path, as in TRANSLATABLE
    field: str  # the translatable field
    build: Callable[[str], Any]  # marker -> a resource with the marker in that field only
    read: Callable[[Any], list[str]]  # resource -> the markers in that field

    @property
    def id(self) -> str:
        return f"{self.collection}:{'.'.join(self.steps) or '-'}:{self.field}"


def _flow_handler(field: str) -> Row:
    return Row(
        "flows",
        ("event_handlers[]", "trigger_fulfillment"),
        field,
        lambda m: cx.Flow(
            display_name="F",
            event_handlers=[
                cx.EventHandler(event="sys.no-match-default", trigger_fulfillment=fulfillment(field, m))
            ],
        ),
        lambda r: [t for h in r.event_handlers for t in fulfillment_texts(h.trigger_fulfillment)],
    )


def _routes(collection: str, make: Callable[..., Any], field: str) -> Row:
    return Row(
        collection,
        ("transition_routes[]", "trigger_fulfillment"),
        field,
        lambda m: make(
            transition_routes=[
                cx.TransitionRoute(condition="true", trigger_fulfillment=fulfillment(field, m))
            ]
        ),
        lambda r: [t for rt in r.transition_routes for t in fulfillment_texts(rt.trigger_fulfillment)],
    )


def _page_entry(field: str) -> Row:
    return Row(
        "pages",
        ("entry_fulfillment",),
        field,
        lambda m: cx.Page(display_name="P", entry_fulfillment=fulfillment(field, m)),
        lambda r: fulfillment_texts(r.entry_fulfillment),
    )


def _page_handler(field: str) -> Row:
    return Row(
        "pages",
        ("event_handlers[]", "trigger_fulfillment"),
        field,
        lambda m: cx.Page(
            display_name="P",
            event_handlers=[
                cx.EventHandler(event="sys.no-match-default", trigger_fulfillment=fulfillment(field, m))
            ],
        ),
        lambda r: [t for h in r.event_handlers for t in fulfillment_texts(h.trigger_fulfillment)],
    )


def _form(fill: Callable[[str], cx.Form.Parameter.FillBehavior]) -> Callable[[str], cx.Page]:
    return lambda m: cx.Page(
        display_name="P",
        form=cx.Form(
            parameters=[cx.Form.Parameter(display_name="city", entity_type=SYS_ANY, fill_behavior=fill(m))]
        ),
    )


def _initial_prompt(field: str) -> Row:
    return Row(
        "pages",
        ("form", "parameters[]", "fill_behavior", "initial_prompt_fulfillment"),
        field,
        _form(lambda m: cx.Form.Parameter.FillBehavior(initial_prompt_fulfillment=fulfillment(field, m))),
        lambda r: [
            t
            for p in r.form.parameters
            for t in fulfillment_texts(p.fill_behavior.initial_prompt_fulfillment)
        ],
    )


def _reprompt(field: str) -> Row:
    return Row(
        "pages",
        ("form", "parameters[]", "fill_behavior", "reprompt_event_handlers[]", "trigger_fulfillment"),
        field,
        _form(
            lambda m: cx.Form.Parameter.FillBehavior(
                reprompt_event_handlers=[
                    cx.EventHandler(event="sys.no-match-1", trigger_fulfillment=fulfillment(field, m))
                ]
            )
        ),
        lambda r: [
            t
            for p in r.form.parameters
            for h in p.fill_behavior.reprompt_event_handlers
            for t in fulfillment_texts(h.trigger_fulfillment)
        ],
    )


PHRASE = cx.Intent.TrainingPhrase
FIELDS = ("messages", "conditional_cases")

ROWS: list[Row] = [
    *(_flow_handler(f) for f in FIELDS),
    *(_routes("flows", lambda **kw: cx.Flow(display_name="F", **kw), f) for f in FIELDS),
    *(_page_entry(f) for f in FIELDS),
    *(_page_handler(f) for f in FIELDS),
    *(_routes("pages", lambda **kw: cx.Page(display_name="P", **kw), f) for f in FIELDS),
    *(_initial_prompt(f) for f in FIELDS),
    *(_reprompt(f) for f in FIELDS),
    *(
        _routes("transitionRouteGroups", lambda **kw: cx.TransitionRouteGroup(display_name="G", **kw), f)
        for f in FIELDS
    ),
    Row(
        "intents",
        (),
        "training_phrases",
        lambda m: cx.Intent(
            display_name="I", training_phrases=[PHRASE(parts=[PHRASE.Part(text=m)], repeat_count=1)]
        ),
        lambda r: [p.text for tp in r.training_phrases for p in tp.parts],
    ),
    Row(
        "entityTypes",
        (),
        "entities",
        lambda m: cx.EntityType(
            display_name="E",
            kind=cx.EntityType.Kind.KIND_MAP,
            entities=[cx.EntityType.Entity(value=m, synonyms=[m])],
        ),
        lambda r: [e.value for e in r.entities],
    ),
    Row(
        "entityTypes",
        (),
        "excluded_phrases",
        lambda m: cx.EntityType(
            display_name="E",
            kind=cx.EntityType.Kind.KIND_MAP,
            excluded_phrases=[cx.EntityType.ExcludedPhrase(value=m)],
        ),
        lambda r: [e.value for e in r.excluded_phrases],
    ),
    Row(
        "generators",
        (),
        "prompt_text",
        lambda m: cx.Generator(display_name="Gen", prompt_text=cx.Phrase(text=m)),
        lambda r: [r.prompt_text.text] if r.prompt_text.text else [],
    ),
]


def test_every_translatable_field_has_a_row() -> None:
    listed = {
        (collection, steps, field)
        for collection, slots in TRANSLATABLE.items()
        for steps, fields in slots
        for field in fields
    }
    assert {(r.collection, r.steps, r.field) for r in ROWS} == listed
    assert len(ROWS) == len(listed)


# -- per-kind plumbing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Api:
    service: str
    snake: str
    request: str  # request class suffix, e.g. "Flow" for CreateFlowRequest
    parent: Callable[[cx.Agent], str]


APIS = {
    "flows": Api("flows", "flow", "Flow", lambda a: a.name),
    "pages": Api("pages", "page", "Page", lambda a: a.start_flow),
    "transitionRouteGroups": Api(
        "route_groups", "transition_route_group", "TransitionRouteGroup", lambda a: a.start_flow
    ),
    "intents": Api("intents", "intent", "Intent", lambda a: a.name),
    "entityTypes": Api("entity_types", "entity_type", "EntityType", lambda a: a.name),
    "generators": Api("generators", "generator", "Generator", lambda a: a.name),
}


class Resources:
    """Create/Get/Update/List of one kind in a given language, via request objects."""

    def __init__(self, clients: Any, agent: cx.Agent, collection: str) -> None:
        self.api = APIS[collection]
        self.svc = getattr(clients, self.api.service)
        self.parent = self.api.parent(agent)

    def _call(self, verb: str, **fields: Any) -> Any:
        request = getattr(cx, f"{verb}{self.api.request}{'s' if verb == 'List' else ''}Request")(**fields)
        suffix = f"{self.api.snake}s" if verb == "List" else self.api.snake
        return getattr(self.svc, f"{verb.lower()}_{suffix}")(request=request)

    def create(self, resource: Any, language: str = "") -> Any:
        return self._call("Create", parent=self.parent, **{self.api.snake: resource}, language_code=language)

    def get(self, name: str, language: str = "") -> Any:
        return self._call("Get", name=name, language_code=language)

    def update(self, resource: Any, language: str = "", paths: tuple[str, ...] = ()) -> Any:
        mask = field_mask_pb2.FieldMask(paths=list(paths)) if paths else None
        return self._call("Update", **{self.api.snake: resource}, language_code=language, update_mask=mask)

    def list(self, language: str = "") -> list[Any]:
        return list(self._call("List", parent=self.parent, language_code=language))


@pytest.fixture
def resources(clients: Any, agent: cx.Agent) -> Callable[[str], Resources]:
    return lambda collection: Resources(clients, agent, collection)


def _write_ja(res: Resources, row: Row, name: str) -> Any:
    """The ja write: the same resource, built with the ja marker, sent without a mask."""
    ja = row.build("JA-ひらがな")
    ja.name = name
    return res.update(ja, language="ja")


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_each_language_reads_its_own_content(resources: Any, row: Row) -> None:
    res = resources(row.collection)
    created = res.create(row.build("EN-text"))
    assert row.read(created) == ["EN-text"]

    written = _write_ja(res, row, created.name)
    assert row.read(written) == ["JA-ひらがな"]

    assert row.read(res.get(created.name, "en")) == ["EN-text"]
    assert row.read(res.get(created.name, "ja")) == ["JA-ひらがな"]
    assert row.read(res.get(created.name)) == ["EN-text"]  # no language_code: the default language
    assert [row.read(r) for r in res.list("ja") if r.name == created.name] == [["JA-ひらがな"]]
    assert [row.read(r) for r in res.list("en") if r.name == created.name] == [["EN-text"]]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_a_language_never_written_reads_empty(resources: Any, row: Row) -> None:
    res = resources(row.collection)
    created = res.create(row.build("EN-text"))
    assert row.read(res.get(created.name, "ja")) == []


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_create_in_a_non_default_language(resources: Any, row: Row) -> None:
    res = resources(row.collection)
    created = res.create(row.build("JA-only"), language="ja")
    assert row.read(res.get(created.name, "ja")) == ["JA-only"]
    assert row.read(res.get(created.name, "en")) == []


# -- shared fields, defaults and unsupported languages -----------------------------------------------

SHARED = [
    pytest.param("flows", "description", "shared", id="flows-description"),
    pytest.param("pages", "description", "shared", id="pages-description"),
    pytest.param("transitionRouteGroups", "display_name", "G-renamed", id="route-groups-display_name"),
    pytest.param("intents", "description", "shared", id="intents-description"),
    pytest.param("entityTypes", "enable_fuzzy_extraction", True, id="entity-types-enable_fuzzy_extraction"),
    pytest.param("generators", "display_name", "Gen-renamed", id="generators-display_name"),
]

FIRST_ROW = {r.collection: r for r in reversed(ROWS)}


@pytest.mark.parametrize(("collection", "field", "value"), SHARED)
def test_non_translatable_field_written_in_ja_is_seen_in_en(
    resources: Any, collection: str, field: str, value: Any
) -> None:
    row = FIRST_ROW[collection]
    res = resources(collection)
    created = res.create(row.build("EN-text"))
    ja = row.build("JA-text")
    ja.name = created.name
    setattr(ja, field, value)
    res.update(ja, language="ja")
    en = res.get(created.name, "en")
    assert getattr(en, field) == value
    assert row.read(en) == ["EN-text"]
    assert row.read(res.get(created.name, "ja")) == ["JA-text"]


@pytest.mark.parametrize(("collection", "field", "value"), SHARED[:-1])
def test_masked_ja_update_of_a_shared_field(resources: Any, collection: str, field: str, value: Any) -> None:
    row = FIRST_ROW[collection]
    res = resources(collection)
    created = res.create(row.build("EN-text"))
    ja = res.get(created.name, "ja")
    setattr(ja, field, value)
    res.update(ja, language="ja", paths=(field,))
    en = res.get(created.name, "en")
    assert getattr(en, field) == value
    assert row.read(en) == ["EN-text"]


UNSUPPORTED = [
    pytest.param(lambda res, name, build: res.create(build("x"), language="fr"), id="create"),
    pytest.param(lambda res, name, build: res.get(name, "fr"), id="get"),
    pytest.param(lambda res, name, build: res.update(res.get(name), language="fr"), id="update"),
    pytest.param(lambda res, name, build: res.list("fr"), id="list"),
]


@pytest.mark.parametrize("collection", list(APIS))
@pytest.mark.parametrize("call", UNSUPPORTED)
def test_unsupported_language_is_invalid(resources: Any, collection: str, call: Any) -> None:
    row = FIRST_ROW[collection]
    res = resources(collection)
    created = res.create(row.build("EN-text"))
    with pytest.raises(gexc.InvalidArgument):
        call(res, created.name, row.build)


def test_language_codes_are_case_insensitive(resources: Any) -> None:
    row = FIRST_ROW["pages"]
    res = resources("pages")
    created = res.create(row.build("EN-text"))
    _write_ja(res, row, created.name)
    assert row.read(res.get(created.name, "JA")) == ["JA-ひらがな"]


# -- routes and handlers keep their languages when others are added ------------------------------------


def test_adding_a_route_in_ja_keeps_en_messages_of_existing_routes(resources: Any) -> None:
    res = resources("flows")
    created = res.create(
        cx.Flow(
            display_name="F",
            transition_routes=[
                cx.TransitionRoute(
                    condition="$session.params.a", trigger_fulfillment=fulfillment("messages", "A-en")
                ),
                cx.TransitionRoute(
                    condition="$session.params.b", trigger_fulfillment=fulfillment("messages", "B-en")
                ),
            ],
        )
    )
    ja = res.get(created.name, "ja")
    ja.transition_routes[0].trigger_fulfillment = fulfillment("messages", "A-ja")
    ja.transition_routes.insert(
        0,
        cx.TransitionRoute(
            condition="$session.params.c", trigger_fulfillment=fulfillment("messages", "C-ja")
        ),
    )
    res.update(ja, language="ja")

    def texts(flow: cx.Flow) -> dict[str, list[str]]:
        return {r.condition[-1]: fulfillment_texts(r.trigger_fulfillment) for r in flow.transition_routes}

    assert texts(res.get(created.name, "en")) == {"a": ["A-en"], "b": ["B-en"], "c": []}
    assert texts(res.get(created.name, "ja")) == {"a": ["A-ja"], "b": [], "c": ["C-ja"]}


def test_reordering_routes_keeps_each_routes_languages(resources: Any) -> None:
    res = resources("pages")
    routes = [
        cx.TransitionRoute(
            condition=f"$session.params.{c}", trigger_fulfillment=fulfillment("messages", f"{c}-en")
        )
        for c in "ab"
    ]
    created = res.create(cx.Page(display_name="P", transition_routes=routes))
    ja = res.get(created.name, "ja")
    for route, c in zip(ja.transition_routes, "ab", strict=True):
        route.trigger_fulfillment = fulfillment("messages", f"{c}-ja")
    res.update(ja, language="ja")
    en = res.get(created.name, "en")
    en.transition_routes = list(reversed(en.transition_routes))
    res.update(en, language="en")
    assert [
        fulfillment_texts(r.trigger_fulfillment) for r in res.get(created.name, "ja").transition_routes
    ] == [
        ["b-ja"],
        ["a-ja"],
    ]


def test_removing_a_route_drops_its_translations(resources: Any) -> None:
    res = resources("pages")
    created = res.create(
        cx.Page(
            display_name="P",
            transition_routes=[
                cx.TransitionRoute(condition="true", trigger_fulfillment=fulfillment("messages", "en"))
            ],
        )
    )
    ja = res.get(created.name, "ja")
    ja.transition_routes[0].trigger_fulfillment = fulfillment("messages", "ja")
    res.update(ja, language="ja")
    en = res.get(created.name, "en")
    del en.transition_routes[0]
    res.update(en)
    en.transition_routes.append(cx.TransitionRoute(condition="false"))
    res.update(en)
    (route,) = res.get(created.name, "ja").transition_routes
    assert fulfillment_texts(route.trigger_fulfillment) == []


def test_forced_delete_keeps_other_languages_of_the_referrer(
    clients: Any, agent: cx.Agent, resources: Any
) -> None:
    res = resources("pages")
    target = res.create(cx.Page(display_name="Target"))
    created = res.create(
        cx.Page(
            display_name="P",
            transition_routes=[
                cx.TransitionRoute(
                    condition="true",
                    target_page=target.name,
                    trigger_fulfillment=fulfillment("messages", "en"),
                )
            ],
        )
    )
    ja = res.get(created.name, "ja")
    ja.transition_routes[0].trigger_fulfillment = fulfillment("messages", "ja")
    res.update(ja, language="ja")
    clients.pages.delete_page(request=cx.DeletePageRequest(name=target.name, force=True))
    for language in ("en", "ja"):
        (route,) = res.get(created.name, language).transition_routes
        assert route.target_page == ""
        assert fulfillment_texts(route.trigger_fulfillment) == [language]
