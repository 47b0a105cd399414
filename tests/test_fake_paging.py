"""Contract: List paging — default and maximum page sizes, opaque tokens, bad tokens and sizes."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from conftest import PARENT
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def make_webhooks(clients: Any, agent: cx.Agent, n: int) -> list[str]:
    return [
        clients.webhooks.create_webhook(
            parent=agent.name,
            webhook=cx.Webhook(
                display_name=f"hook-{i:04d}",
                generic_web_service=cx.Webhook.GenericWebService(uri=f"https://x.test/{i}"),
            ),
        ).name
        for i in range(n)
    ]


def first_page(clients: Any, parent: str, **kw: Any) -> cx.ListWebhooksResponse:
    pager = clients.webhooks.list_webhooks(request=cx.ListWebhooksRequest(parent=parent, **kw))
    return next(iter(pager.pages))


@pytest.fixture
def webhooks(clients: Any, agent: cx.Agent) -> list[str]:
    return make_webhooks(clients, agent, 120)


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [
        pytest.param(0, DEFAULT_PAGE_SIZE, id="unset-means-100"),
        pytest.param(7, 7, id="explicit-7"),
        pytest.param(120, 120, id="exactly-all"),
        pytest.param(5000, 120, id="larger-than-all"),
    ],
)
def test_page_size(clients: Any, agent: cx.Agent, webhooks: list[str], page_size: int, expected: int) -> None:
    page = first_page(clients, agent.name, page_size=page_size)
    assert [w.name for w in page.webhooks] == webhooks[:expected]
    assert bool(page.next_page_token) is (expected < len(webhooks))


def test_page_size_is_capped_at_1000(clients: Any, agent: cx.Agent) -> None:
    names = make_webhooks(clients, agent, MAX_PAGE_SIZE + 1)
    page = first_page(clients, agent.name, page_size=5000)
    assert len(page.webhooks) == MAX_PAGE_SIZE
    assert page.next_page_token
    rest = first_page(clients, agent.name, page_size=5000, page_token=page.next_page_token)
    assert [w.name for w in rest.webhooks] == names[MAX_PAGE_SIZE:]
    assert not rest.next_page_token


@pytest.mark.parametrize("page_size", [pytest.param(0, id="default"), pytest.param(7, id="by-7")])
def test_paging_yields_every_item_once_in_order(
    clients: Any, agent: cx.Agent, webhooks: list[str], page_size: int
) -> None:
    pager = clients.webhooks.list_webhooks(
        request=cx.ListWebhooksRequest(parent=agent.name, page_size=page_size)
    )
    assert [w.name for w in pager] == webhooks


def test_page_token_is_opaque(clients: Any, agent: cx.Agent, webhooks: list[str]) -> None:
    token = first_page(clients, agent.name, page_size=7).next_page_token
    assert token
    assert not token.isdigit()
    assert all(name.rsplit("/", 1)[-1] not in token for name in webhooks)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("7", id="bare-offset"),
        pytest.param(base64.urlsafe_b64encode(b"{}").decode(), id="empty-json"),
        pytest.param(base64.urlsafe_b64encode(b'{"o": -5, "n": 1, "s": "x"}').decode(), id="forged"),
    ],
)
def test_bad_page_token_is_invalid(clients: Any, agent: cx.Agent, webhooks: list[str], token: str) -> None:
    with pytest.raises(gexc.InvalidArgument):
        first_page(clients, agent.name, page_token=token)


def test_negative_page_size_is_invalid(clients: Any, agent: cx.Agent) -> None:
    with pytest.raises(gexc.InvalidArgument):
        first_page(clients, agent.name, page_size=-1)


def test_page_token_of_another_parent_is_refused(clients: Any, agent: cx.Agent, webhooks: list[str]) -> None:
    other = clients.agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(display_name="Other", default_language_code="en", time_zone="Europe/Paris"),
    )
    make_webhooks(clients, other, 10)
    token = first_page(clients, agent.name, page_size=7).next_page_token
    with pytest.raises(gexc.InvalidArgument):
        first_page(clients, other.name, page_size=7, page_token=token)


def test_page_token_of_another_collection_is_refused(
    clients: Any, agent: cx.Agent, webhooks: list[str]
) -> None:
    token = first_page(clients, agent.name, page_size=7).next_page_token
    for i in range(10):
        clients.intents.create_intent(parent=agent.name, intent=cx.Intent(display_name=f"i{i}"))
    with pytest.raises(gexc.InvalidArgument):
        next(
            iter(
                clients.intents.list_intents(
                    request=cx.ListIntentsRequest(parent=agent.name, page_size=7, page_token=token)
                ).pages
            )
        )


def test_intents_page_too(clients: Any, agent: cx.Agent) -> None:
    names = [
        clients.intents.create_intent(parent=agent.name, intent=cx.Intent(display_name=f"i{i:03d}")).name
        for i in range(110)
    ]
    pages = list(clients.intents.list_intents(parent=agent.name).pages)
    assert [len(p.intents) for p in pages] == [100, 12]
    assert [i.name for p in pages for i in p.intents][2:] == names
