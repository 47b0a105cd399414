"""Deterministic synthetic Dialogflow CX agents, written through the real client library.

``build_agent(channel, "S" | "L" | Spec)`` creates one bilingual agent (``en`` default, ``ja``
supported) in whatever CX endpoint the gRPC channel reaches: ``cxops fake``, an emulator, or the
real service over an authenticated channel. The content exercises what cxops has to normalize and
diff: intent parameters annotated in training phrases (``@sys.number`` and custom entity types),
pages with entry fulfillment, forms with custom entity types, prompts and reprompt handlers,
routes on intents and on conditions to pages of the same flow, to other flows and to
END_SESSION, event handlers, webhook calls with tags, agent- and flow-level route groups (some
sharing a display name, as the SPEC allows), and test cases in both languages.

Writes follow the SPEC's apply order, one stage at a time, with the independent writes of a
stage spread over a thread pool. Translatable content is created in ``en`` and then written once
per resource with ``language_code="ja"`` and an ``update_mask`` of the fields that hold it.

Every resource draws its content from its own ``random.Random`` seeded with (seed, kind, index),
so the content does not depend on which worker thread runs first. Resource names (ids) are the
server's and are not deterministic.
"""

# Japanese text uses full-width punctuation, which RUF001 takes for look-alikes of ASCII.
# ruff: noqa: RUF001

from __future__ import annotations

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import random
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

import grpc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import duration_pb2, field_mask_pb2, struct_pb2
from google.protobuf.message import Message

from cxops.model.proto import is_repeated

DEFAULT_PARENT = "projects/bench/locations/global"
SYS_NUMBER = "projects/-/locations/-/agents/-/entityTypes/sys.number"
LANGUAGES = ("en", "ja")
TIMEOUT = 120.0

T = TypeVar("T")
R = TypeVar("R")
Pair = tuple[str, str]  # (en, ja)

# Raw protobuf classes: building 200k training-phrase parts through proto-plus wrappers costs
# tens of seconds of client CPU that would then be charged to the server under test.
_Agent: Any = cx.Agent.pb()
_EntityType: Any = cx.EntityType.pb()
_Webhook: Any = cx.Webhook.pb()
_Intent: Any = cx.Intent.pb()
_Flow: Any = cx.Flow.pb()
_Page: Any = cx.Page.pb()
_RouteGroup: Any = cx.TransitionRouteGroup.pb()
_TestCase: Any = cx.TestCase.pb()
_Fulfillment: Any = cx.Fulfillment.pb()
_Route: Any = cx.TransitionRoute.pb()
_Handler: Any = cx.EventHandler.pb()


@dataclass(frozen=True)
class Spec:
    """How many resources to create. Counts leave out what every new agent already has
    (Default Start Flow, Default Welcome Intent, Default Negative Intent)."""

    flows: int
    pages_per_flow: int
    intents: int
    phrases_per_intent: int  # per language
    entity_types: int
    entries_per_entity_type: int  # per language
    webhooks: int
    route_groups: int  # agent-level and flow-level together
    agent_route_groups: int  # how many of route_groups are agent-level
    test_cases: int
    seed: int = 0

    def __post_init__(self) -> None:
        # Lower bounds keep every generator able to pick a distinct target / intent / value.
        problems = [
            f"{name} must be at least {low}"
            for name, low in (
                ("flows", 1),
                ("pages_per_flow", 2),
                ("intents", 4),
                ("phrases_per_intent", 1),
                ("entity_types", 1),
                ("entries_per_entity_type", 1),
                ("webhooks", 1),
                ("route_groups", 0),
                ("agent_route_groups", 0),
                ("test_cases", 0),
            )
            if getattr(self, name) < low
        ]
        if self.agent_route_groups > self.route_groups:
            problems.append("agent_route_groups must not exceed route_groups")
        if self.phrases_per_intent > _PHRASE_SHAPES:
            problems.append(f"phrases_per_intent must be at most {_PHRASE_SHAPES}")
        if self.entries_per_entity_type > len(_ADJECTIVES) * len(_NOUNS):
            problems.append(f"entries_per_entity_type must be at most {len(_ADJECTIVES) * len(_NOUNS)}")
        if problems:
            raise ValueError("invalid Spec: " + "; ".join(problems))

    @property
    def flow_route_groups(self) -> int:
        return self.route_groups - self.agent_route_groups

    def route_groups_of_flow(self, flow: int) -> list[int]:
        """Indexes (among flow-level groups) of the groups that live in ``flow``."""
        return list(range(flow, self.flow_route_groups, self.flows))


# -- word banks (en, ja) ---------------------------------------------------------------------

_TOPICS: list[Pair] = [
    ("order", "注文"),
    ("billing", "請求"),
    ("shipping", "配送"),
    ("account", "アカウント"),
    ("return", "返品"),
    ("payment", "支払い"),
    ("subscription", "定期購入"),
    ("reservation", "予約"),
    ("warranty", "保証"),
    ("delivery", "お届け"),
]
# ja actions are nouns that take を…したい, so templates stay grammatical.
_ACTIONS: list[tuple[str, str, str]] = [  # (slug, en, ja)
    ("check", "check", "確認"),
    ("change", "change", "変更"),
    ("cancel", "cancel", "キャンセル"),
    ("track", "track", "追跡"),
    ("update", "update", "更新"),
    ("start", "start", "開始"),
    ("pause", "pause", "停止"),
    ("renew", "renew", "更新手続き"),
    ("ask", "ask about", "相談"),
    ("close", "close", "解約"),
]
_FLOW_KINDS: list[Pair] = [
    ("Support", "サポート"),
    ("Self Service", "セルフサービス"),
    ("FAQ", "よくある質問"),
    ("Escalation", "エスカレーション"),
    ("Onboarding", "はじめに"),
]
_STEPS: list[Pair] = [
    ("Collect Details", "詳細の確認"),
    ("Verify Identity", "本人確認"),
    ("Lookup Status", "状況の確認"),
    ("Choose Item", "商品の選択"),
    ("Confirm Request", "依頼の確認"),
    ("Offer Options", "選択肢のご案内"),
    ("Schedule", "日時の調整"),
    ("Take Payment", "お支払い"),
    ("Handle Error", "エラー対応"),
    ("Escalate", "担当者へ転送"),
    ("Summarize", "まとめ"),
    ("Goodbye", "終了"),
]
_GROUP_NAMES = ["Navigation", "Small Talk", "Help", "Cancel", "Agent Handoff", "Repeat"]
_CONCEPTS: list[Pair] = [
    ("product", "製品"),
    ("color", "色"),
    ("size", "サイズ"),
    ("material", "素材"),
    ("brand", "ブランド"),
    ("store", "店舗"),
    ("plan", "プラン"),
    ("device", "デバイス"),
    ("accessory", "アクセサリー"),
    ("category", "カテゴリー"),
]
_ADJECTIVES: list[Pair] = [
    ("large", "大きい"),
    ("small", "小さい"),
    ("red", "赤い"),
    ("blue", "青い"),
    ("green", "緑の"),
    ("black", "黒い"),
    ("white", "白い"),
    ("light", "軽い"),
    ("heavy", "重い"),
    ("new", "新しい"),
    ("vintage", "古い"),
    ("budget", "安い"),
    ("premium", "高級な"),
    ("fast", "速い"),
    ("quiet", "静かな"),
    ("long", "長い"),
    ("short", "短い"),
    ("round", "丸い"),
    ("square", "四角い"),
    ("soft", "柔らかい"),
    ("hard", "硬い"),
    ("warm", "暖かい"),
    ("cool", "冷たい"),
    ("bright", "明るい"),
    ("dark", "暗い"),
]
_NOUNS: list[Pair] = [
    ("box", "箱"),
    ("bag", "バッグ"),
    ("shirt", "シャツ"),
    ("shoe", "靴"),
    ("phone", "電話"),
    ("lamp", "ランプ"),
    ("chair", "椅子"),
    ("table", "テーブル"),
    ("cup", "カップ"),
    ("watch", "時計"),
    ("book", "本"),
    ("pen", "ペン"),
    ("cable", "ケーブル"),
    ("charger", "充電器"),
    ("jacket", "ジャケット"),
    ("hat", "帽子"),
    ("bottle", "ボトル"),
    ("plate", "皿"),
    ("towel", "タオル"),
    ("pillow", "枕"),
    ("blanket", "毛布"),
    ("camera", "カメラ"),
    ("speaker", "スピーカー"),
    ("mouse", "マウス"),
    ("desk", "机"),
]
_PREFIXES: list[Pair] = [
    ("", ""),
    ("hi, ", "すみません、"),
    ("hello, ", "こんにちは、"),
    ("um ", "あの、"),
    ("ok so ", "えっと、"),
    ("hey there, ", "ちょっと、"),
    ("excuse me, ", "失礼します、"),
    ("quick question: ", "質問です、"),
]
_TEMPLATES: list[Pair] = [
    ("I want to {action} my {topic}", "{topic}を{action}したい"),
    ("can you {action} my {topic}", "{topic}の{action}をお願いします"),
    ("please {action} the {topic}", "{topic}を{action}してください"),
    ("how do I {action} my {topic}", "{topic}を{action}する方法を教えて"),
    ("{action} {topic}", "{topic}{action}"),
    ("I'd like to {action} my {topic}", "{topic}の{action}ができますか"),
    ("help me {action} my {topic}", "{topic}を{action}してほしい"),
    ("is it possible to {action} my {topic}", "{topic}の{action}について"),
]
_SUFFIXES: list[Pair] = [
    ("", ""),
    (" now", "。今すぐ"),
    (" today", "。今日中に"),
    (" asap", "。急ぎで"),
    (" thanks", "。ありがとう"),
    ("?", "？"),
    (" for me", "。よろしく"),
    (" again", "。もう一度"),
]
_PHRASE_SHAPES = len(_PREFIXES) * len(_TEMPLATES) * len(_SUFFIXES)
_MESSAGES: list[Pair] = [
    ("Let me help you with your {topic}.", "{topic}についてお手伝いします。"),
    ("One moment while I look into your {topic}.", "{topic}を確認しますので、少々お待ちください。"),
    ("Here is what I found about your {topic}.", "{topic}について分かったことをお伝えします。"),
    ("I can take care of that {topic} for you.", "その{topic}の件は私が対応します。"),
    ("Thanks for waiting.", "お待たせしました。"),
    ("Is there anything else about your {topic}?", "{topic}について他にご用件はありますか？"),
    ("Got it.", "承知しました。"),
    ("Let's continue with {step}.", "{step}に進みましょう。"),
    ("Next: {step}.", "次は{step}です。"),
]
_PROMPTS: list[Pair] = [
    ("Which {param} would you like?", "どの{param}にしますか？"),
    ("Please tell me the {param}.", "{param}を教えてください。"),
]
_COUNT_PROMPTS: list[Pair] = [("How many do you need?", "いくつ必要ですか？"), ("What quantity?", "数量は？")]
_REPROMPTS: list[Pair] = [("Sorry, which {param}?", "すみません、どの{param}ですか？")]
_NO_MATCH: list[Pair] = [
    ("Sorry, I didn't get that about your {topic}.", "すみません、{topic}について聞き取れませんでした。"),
    ("Could you say that another way?", "別の言い方でお願いできますか？"),
]
_NO_INPUT: list[Pair] = [("Are you still there?", "まだいらっしゃいますか？")]
_WELCOME_JA = "こんにちは！ご用件をお伺いします。"


SIZES: dict[str, Spec] = {
    "S": Spec(
        flows=5,
        pages_per_flow=10,
        intents=100,
        phrases_per_intent=10,
        entity_types=10,
        entries_per_entity_type=10,
        webhooks=3,
        route_groups=8,
        agent_route_groups=2,
        test_cases=10,
    ),
    "L": Spec(
        flows=50,
        pages_per_flow=40,
        intents=2000,
        phrases_per_intent=50,
        entity_types=200,
        entries_per_entity_type=100,
        webhooks=20,
        route_groups=100,
        agent_route_groups=20,
        test_cases=500,
    ),
}


def resolve(size: str | Spec) -> Spec:
    if isinstance(size, Spec):
        return size
    try:
        return SIZES[size.upper()]
    except KeyError:
        raise ValueError(f"unknown size {size!r}; expected one of {', '.join(SIZES)} or a Spec") from None


# -- small builders ----------------------------------------------------------------------------


def _rng(seed: int, *key: object) -> random.Random:
    # A str seed is hashed with SHA-512 by random.Random: stable across processes and runs.
    return random.Random("/".join(str(k) for k in (seed, *key)))


def _pick(pair: Pair, lang: str) -> str:
    return pair[0] if lang == "en" else pair[1]


def _say(rng: random.Random, bank: Sequence[Pair], lang: str, **words: Pair) -> str:
    # One draw whatever the language, so en and ja builds of a resource stay aligned.
    template = _pick(bank[rng.randrange(len(bank))], lang)
    return template.format(**{k: _pick(v, lang) for k, v in words.items()})


def _text(*lines: str) -> Any:
    return {"text": {"text": list(lines)}}


def _fulfillment(
    rng: random.Random,
    lang: str,
    bank: Sequence[Pair],
    words: dict[str, Pair],
    *,
    webhook: str = "",
    tag: str = "",
) -> Any:
    """One or two text messages; a message with several texts is CX's random-variant form."""
    picks = rng.sample(range(len(bank)), min(len(bank), rng.randint(1, 3)))
    cut = rng.randint(1, len(picks))
    lines = [_pick(bank[k], lang).format(**{w: _pick(v, lang) for w, v in words.items()}) for k in picks]
    messages = [_text(*chunk) for chunk in (lines[:cut], lines[cut:]) if chunk]
    out = _Fulfillment(messages=messages)
    if webhook:
        out.webhook = webhook
        out.tag = tag
    return out


def _maybe_webhook(rng: random.Random, names: Names, share: float, tag: str) -> dict[str, str]:
    # Always two draws, so whether a webhook is used never shifts later draws.
    use, index = rng.random() < share, rng.randrange(len(names.webhooks))
    return {"webhook": names.webhooks[index], "tag": tag} if use else {}


def _mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def adopt_names(src: Message, dst: Message) -> None:
    """Copy the output-only ``name`` ids of list elements (routes, handlers) from ``src`` into the
    same positions of ``dst``, so a write in another language addresses the same elements."""
    for fd, value in dst.ListFields():
        element = fd.message_type
        if (
            element is None
            or element.full_name.startswith("google.protobuf.")
            or element.GetOptions().map_entry
        ):
            continue
        theirs = getattr(src, fd.name)
        if is_repeated(fd):
            for mine, other in zip(value, theirs, strict=False):
                if "name" in mine.DESCRIPTOR.fields_by_name and other.name:
                    mine.name = other.name
                adopt_names(other, mine)
        elif src.HasField(fd.name):
            adopt_names(theirs, value)


# -- names of what exists so far ------------------------------------------------------------------


@dataclass
class Names:
    """Resource names by generator index, filled in stage by stage."""

    agent: str = ""
    default_flow: str = ""
    entity_types: list[str] = field(default_factory=list)
    webhooks: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)
    agent_groups: list[str] = field(default_factory=list)
    pages: list[list[str]] = field(default_factory=list)
    flow_groups: list[str] = field(default_factory=list)
    test_cases: list[str] = field(default_factory=list)

    def all_flows(self) -> list[str]:
        return [self.default_flow, *self.flows]


# -- content of each kind ------------------------------------------------------------------------


def entity_type_name(e: int) -> str:
    concept = _CONCEPTS[e % len(_CONCEPTS)][0]
    n = e // len(_CONCEPTS)
    return concept if n == 0 else f"{concept}_{n + 1}"


@lru_cache(maxsize=4096)
def _entries(seed: int, e: int, count: int) -> tuple[tuple[int, int], ...]:
    """(adjective, noun) indexes of the entries of entity type ``e``; intents annotate these."""
    combos = _rng(seed, "entries", e).sample(range(len(_ADJECTIVES) * len(_NOUNS)), count)
    return tuple(divmod(c, len(_NOUNS)) for c in combos)


def _synonym(adj: int, noun: int, lang: str) -> str:
    a, n = _ADJECTIVES[adj], _NOUNS[noun]
    return f"{a[0]} {n[0]}" if lang == "en" else f"{a[1]}{n[1]}"


def _plural(words: str) -> str:
    return words + ("es" if words.endswith(("s", "x", "ch", "sh")) else "s")


def entity_type(spec: Spec, e: int, lang: str) -> Any:
    entities = []
    for adj, noun in _entries(spec.seed, e, spec.entries_per_entity_type):
        # The value is the reference value shared by both languages; synonyms are per language.
        value = f"{_ADJECTIVES[adj][0]}_{_NOUNS[noun][0]}"
        synonyms = [_synonym(adj, noun, lang)]
        if lang == "en":
            synonyms.append(_plural(synonyms[0]))
        entities.append({"value": value, "synonyms": synonyms})
    excluded = [_pick(p, lang) for p in (("any", "何でも"), ("whatever", "どれでも"))]
    msg = _EntityType(
        display_name=entity_type_name(e),
        kind=int(cx.EntityType.Kind.KIND_MAP),
        entities=entities,
        excluded_phrases=[{"value": v} for v in excluded],
        enable_fuzzy_extraction=e % 3 == 0,
    )
    if e % 4 == 0:
        msg.auto_expansion_mode = int(cx.EntityType.AutoExpansionMode.AUTO_EXPANSION_MODE_DEFAULT)
    return msg


def webhook(spec: Spec, w: int) -> Any:
    topic = _TOPICS[w % len(_TOPICS)][0]
    n = w // len(_TOPICS)
    name = f"{topic}-api" if n == 0 else f"{topic}-api-{n + 1}"
    return _Webhook(
        display_name=name,
        generic_web_service={
            "uri": f"https://{name}.bench.example.com/cx/webhook",
            "request_headers": {"X-Bench-Client": "cxops-bench"},
        },
        timeout=duration_pb2.Duration(seconds=5 + w % 10),
    )


def intent_name(i: int) -> str:
    topic = _TOPICS[i % len(_TOPICS)][0]
    action = _ACTIONS[(i // len(_TOPICS)) % len(_ACTIONS)][0]
    n = i // (len(_TOPICS) * len(_ACTIONS))
    return f"{topic}.{action}" if n == 0 else f"{topic}.{action}.{n + 1}"


def _phrase_parts(segments: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    parts: list[dict[str, str]] = []
    for text, param in segments:
        if not text:
            continue
        if not param and parts and not parts[-1].get("parameter_id"):
            parts[-1]["text"] += text
        else:
            parts.append({"text": text, "parameter_id": param} if param else {"text": text})
    return parts


def intent(spec: Spec, names: Names, i: int, lang: str) -> Any:
    rng = _rng(spec.seed, "intent", i)
    topic = _TOPICS[i % len(_TOPICS)]
    _, action_en, action_ja = _ACTIONS[(i // len(_TOPICS)) % len(_ACTIONS)]
    action = (action_en, action_ja)
    use_number, use_entity = rng.random() < 0.4, rng.random() < 0.6
    e = rng.randrange(spec.entity_types)
    entity_param = entity_type_name(e)
    parameters = []
    if use_number:
        parameters.append({"id": "quantity", "entity_type": SYS_NUMBER})
    if use_entity:
        parameters.append({"id": entity_param, "entity_type": names.entity_types[e]})
    entries = _entries(spec.seed, e, spec.entries_per_entity_type)
    phrases = []
    for shape in rng.sample(range(_PHRASE_SHAPES), spec.phrases_per_intent):
        prefix, rest = divmod(shape, len(_TEMPLATES) * len(_SUFFIXES))
        template, suffix = divmod(rest, len(_SUFFIXES))
        with_number, with_entity = use_number and rng.random() < 0.5, use_entity and rng.random() < 0.6
        quantity, entry = str(rng.randint(1, 12)), entries[rng.randrange(len(entries))]
        body = _pick(_TEMPLATES[template], lang).format(action=_pick(action, lang), topic=_pick(topic, lang))
        value = _synonym(*entry, lang)
        segments: list[tuple[str, str]] = [(_pick(_PREFIXES[prefix], lang), "")]
        if lang == "en":
            segments.append((body, ""))
            if with_number:
                segments += [(" for ", ""), (quantity, "quantity"), (" items", "")]
            if with_entity:
                segments += [(" with the ", ""), (value, entity_param)]
        else:
            if with_entity:
                segments += [(value, entity_param), ("で", "")]
            if with_number:
                segments += [(quantity, "quantity"), ("個、", "")]
            segments.append((body, ""))
        segments.append((_pick(_SUFFIXES[suffix], lang), ""))
        phrases.append({"parts": _phrase_parts(segments), "repeat_count": 1})
    return _Intent(
        display_name=intent_name(i),
        description=f"The user wants to {action_en} their {topic[0]}.",
        priority=500000,
        parameters=parameters,
        training_phrases=phrases,
        labels={"topic": topic[0]},
    )


def flow_name(f: int) -> str:
    topic = _TOPICS[f % len(_TOPICS)][0].title()
    kind = _FLOW_KINDS[(f // len(_TOPICS)) % len(_FLOW_KINDS)][0]
    n = f // (len(_TOPICS) * len(_FLOW_KINDS))
    return f"{topic} {kind}" if n == 0 else f"{topic} {kind} {n + 1}"


def page_name(p: int) -> str:
    step = _STEPS[p % len(_STEPS)][0]
    n = p // len(_STEPS)
    return step if n == 0 else f"{step} {n + 1}"


def flow(spec: Spec, f: int) -> Any:
    return _Flow(
        display_name=flow_name(f),
        description=f"Synthetic flow {f + 1} of {spec.flows}: {flow_name(f).lower()}.",
    )


def _intent_route(
    rng: random.Random,
    spec: Spec,
    names: Names,
    lang: str,
    words: dict[str, Pair],
    i: int,
    target: dict[str, str],
) -> Any:
    hook = _maybe_webhook(rng, names, 0.15, f"route-{i}")
    return _Route(
        intent=names.intents[i],
        # target_page and target_flow share a oneof: setting the other one, even to "", would
        # select it.
        **target,
        trigger_fulfillment=_fulfillment(rng, lang, _MESSAGES, words, **hook),
    )


def _target(
    rng: random.Random, names: Names, f: int, p: int | None, shares: tuple[float, float]
) -> dict[str, str]:
    """A page of flow ``f`` other than ``p``, another flow, or END_SESSION, by ``shares``."""
    draw, page_draw, flow_draw = rng.random(), rng.randrange(1 << 30), rng.randrange(1 << 30)
    pages = names.pages[f]
    flows = [x for x in names.all_flows() if x != names.flows[f]]
    if draw < shares[0]:
        index = page_draw % len(pages)
        if index == p:
            index = (index + 1) % len(pages)
        return {"target_page": pages[index]}
    if draw < shares[0] + shares[1]:
        return {"target_flow": flows[flow_draw % len(flows)]}
    return {"target_page": f"{names.flows[f]}/pages/END_SESSION"}


def page(spec: Spec, names: Names, f: int, p: int, lang: str) -> Any:
    rng = _rng(spec.seed, "page", f, p)
    step = _STEPS[p % len(_STEPS)]
    words = {"topic": _TOPICS[f % len(_TOPICS)], "step": step}
    this_flow = names.flows[f]
    entry_hook = _maybe_webhook(rng, names, 0.3, f"{_slug(step[0])}-{p + 1}")
    msg = _Page(
        name=names.pages[f][p],
        display_name=page_name(p),
        entry_fulfillment=_fulfillment(rng, lang, _MESSAGES, words, **entry_hook),
    )
    if rng.random() < 0.3:
        msg.entry_fulfillment.set_parameter_actions.add(
            parameter="last_step", value=struct_pb2.Value(string_value=_slug(step[0]))
        )
    routes = []
    has_form, with_count, e = rng.random() < 0.5, rng.random() < 0.5, rng.randrange(spec.entity_types)
    if has_form:
        concept = _CONCEPTS[e % len(_CONCEPTS)]
        params = []
        if with_count:
            params.append(("quantity", SYS_NUMBER, _COUNT_PROMPTS, ("quantity", "数量")))
        params.append((entity_type_name(e), names.entity_types[e], _PROMPTS, concept))
        for display, entity, prompts, noun in params:
            words_ = {"param": noun}
            msg.form.parameters.add(
                display_name=display,
                entity_type=entity,
                required=True,
                fill_behavior={
                    "initial_prompt_fulfillment": _fulfillment(rng, lang, prompts, words_),
                    "reprompt_event_handlers": [
                        {"event": event, "trigger_fulfillment": _fulfillment(rng, lang, _REPROMPTS, words_)}
                        for event in ("sys.no-match-1", "sys.no-input-1")
                    ],
                },
            )
        routes.append(
            _Route(
                condition='$page.params.status = "FINAL"',
                target_page=names.pages[f][(p + 1) % spec.pages_per_flow],
                trigger_fulfillment=_fulfillment(rng, lang, _MESSAGES, words),
            )
        )
    for i in rng.sample(range(spec.intents), rng.randint(1, 3)):
        routes.append(_intent_route(rng, spec, names, lang, words, i, _target(rng, names, f, p, (0.6, 0.25))))
    if rng.random() < 0.3:
        routes.append(
            _Route(
                condition="$session.params.retries >= 3",
                target_page=f"{this_flow}/pages/END_FLOW",
                trigger_fulfillment=_fulfillment(rng, lang, _MESSAGES, words),
            )
        )
    msg.transition_routes.extend(routes)
    msg.event_handlers.add(
        event="sys.no-match-default", trigger_fulfillment=_fulfillment(rng, lang, _NO_MATCH, words)
    )
    if entry_hook:
        msg.event_handlers.add(event="webhook.error", target_page=f"{this_flow}/pages/END_FLOW")
    own_groups = spec.route_groups_of_flow(f)
    use_own, own, use_agent, agent = (
        rng.random() < 0.5,
        rng.randrange(1 << 30),
        rng.random() < 0.3,
        rng.randrange(1 << 30),
    )
    if own_groups and use_own:
        msg.transition_route_groups.append(names.flow_groups[own_groups[own % len(own_groups)]])
    if names.agent_groups and use_agent:
        msg.transition_route_groups.append(names.agent_groups[agent % len(names.agent_groups)])
    return msg


def group_name(index: int) -> str:
    # Agent-level group a and the j-th group of each flow draw from the same list, so an agent
    # and a flow group share display names, which cxops must keep apart by scope.
    base = _GROUP_NAMES[index % len(_GROUP_NAMES)]
    n = index // len(_GROUP_NAMES)
    return base if n == 0 else f"{base} {n + 1}"


def agent_route_group(spec: Spec, names: Names, a: int, lang: str) -> Any:
    rng = _rng(spec.seed, "agent-group", a)
    words = {"topic": _TOPICS[a % len(_TOPICS)], "step": _STEPS[a % len(_STEPS)]}
    routes = []
    for i in rng.sample(range(spec.intents), rng.randint(2, 4)):
        target = names.all_flows()[rng.randrange(len(names.all_flows()))]
        routes.append(_intent_route(rng, spec, names, lang, words, i, {"target_flow": target}))
    return _RouteGroup(display_name=group_name(a), transition_routes=routes)


def flow_route_group(spec: Spec, names: Names, k: int, lang: str) -> Any:
    rng = _rng(spec.seed, "flow-group", k)
    f = k % spec.flows
    words = {"topic": _TOPICS[f % len(_TOPICS)], "step": _STEPS[k % len(_STEPS)]}
    routes = []
    for i in rng.sample(range(spec.intents), rng.randint(2, 4)):
        routes.append(
            _intent_route(rng, spec, names, lang, words, i, _target(rng, names, f, None, (0.7, 0.1)))
        )
    if rng.random() < 0.5:
        routes.append(
            _Route(
                condition="$session.params.escalate = true",
                target_page=f"{names.flows[f]}/pages/END_SESSION",
                trigger_fulfillment=_fulfillment(rng, lang, _MESSAGES, words),
            )
        )
    return _RouteGroup(display_name=group_name(k // spec.flows), transition_routes=routes)


def _flow_handlers(rng: random.Random, lang: str, words: dict[str, Pair]) -> list[Any]:
    return [
        _Handler(event="sys.no-match-default", trigger_fulfillment=_fulfillment(rng, lang, _NO_MATCH, words)),
        _Handler(event="sys.no-input-default", trigger_fulfillment=_fulfillment(rng, lang, _NO_INPUT, words)),
    ]


def start_page(spec: Spec, names: Names, f: int, lang: str) -> Any:
    """The start page of created flow ``f`` (routes and handlers live on the Flow resource)."""
    rng = _rng(spec.seed, "start", f)
    words = {"topic": _TOPICS[f % len(_TOPICS)], "step": _STEPS[0]}
    targets = [0, *rng.sample(range(1, spec.pages_per_flow), min(2, spec.pages_per_flow - 1))]
    routes = [
        _intent_route(rng, spec, names, lang, words, i, {"target_page": names.pages[f][p]})
        for i, p in zip(rng.sample(range(spec.intents), len(targets)), targets, strict=True)
    ]
    groups = [names.flow_groups[k] for k in spec.route_groups_of_flow(f)]
    if names.agent_groups and rng.random() < 0.5:
        groups.append(names.agent_groups[rng.randrange(len(names.agent_groups))])
    return _Flow(
        name=names.flows[f],
        transition_routes=routes,
        event_handlers=_flow_handlers(rng, lang, words),
        transition_route_groups=groups,
    )


def default_start_routes(spec: Spec, names: Names, lang: str) -> tuple[list[Any], list[Any]]:
    """Routes and handlers added to the Default Start Flow: one intent route into each flow."""
    rng = _rng(spec.seed, "start", "default")
    words = {"topic": ("service", "サービス"), "step": _STEPS[0]}
    intents = rng.sample(range(spec.intents), min(spec.flows, spec.intents))
    routes = [
        _intent_route(rng, spec, names, lang, words, i, {"target_flow": names.flows[f]})
        for f, i in enumerate(intents)
    ]
    return routes, _flow_handlers(rng, lang, words)


def test_case(spec: Spec, names: Names, t: int) -> Any:
    rng = _rng(spec.seed, "test", t)
    f, i, p = rng.randrange(spec.flows), rng.randrange(spec.intents), rng.randrange(spec.pages_per_flow)
    lang = "ja" if t % 5 == 4 else "en"
    phrase = intent(spec, names, i, lang).training_phrases[0]
    utterance = "".join(part.text for part in phrase.parts)
    topic = _TOPICS[i % len(_TOPICS)]
    reply = _say(rng, _MESSAGES, lang, topic=topic, step=_STEPS[p % len(_STEPS)])
    return _TestCase(
        display_name=f"{intent_name(i)} in {flow_name(f)} #{t + 1}",
        tags=["#bench", f"#{topic[0]}", f"#{lang}"],
        notes=f"Synthetic test case {t + 1} of {spec.test_cases}.",
        test_config={"tracking_parameters": ["quantity"], "flow": names.flows[f]},
        test_case_conversation_turns=[
            {
                "user_input": {
                    "input": {"text": {"text": utterance}, "language_code": lang},
                    "is_webhook_enabled": True,
                },
                "virtual_agent_output": {
                    "triggered_intent": {"name": names.intents[i], "display_name": intent_name(i)},
                    "current_page": {"name": names.pages[f][p], "display_name": page_name(p)},
                    "text_responses": [{"text": [reply]}],
                },
            }
        ],
    )


# -- writing ------------------------------------------------------------------------------------


class _Clients:
    def __init__(self, channel: grpc.Channel) -> None:
        def make(cls: Any) -> Any:
            return cls(transport=cls.get_transport_class("grpc")(channel=channel))

        self.agents = make(cx.AgentsClient)
        self.entity_types = make(cx.EntityTypesClient)
        self.webhooks = make(cx.WebhooksClient)
        self.intents = make(cx.IntentsClient)
        self.flows = make(cx.FlowsClient)
        self.pages = make(cx.PagesClient)
        self.route_groups = make(cx.TransitionRouteGroupsClient)
        self.test_cases = make(cx.TestCasesClient)


def _raw(response: Any) -> Any:
    return type(response).pb(response)


class _Builder:
    def __init__(self, channel: grpc.Channel, spec: Spec, pool: ThreadPoolExecutor) -> None:
        self.c = _Clients(channel)
        self.spec = spec
        self.pool = pool
        self.names = Names()

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        # list() re-raises the first failure; map keeps input order, so names stay by index.
        return list(self.pool.map(fn, items))

    def bilingual(
        self,
        create: Callable[[str], Any],
        update: Callable[[Any, field_mask_pb2.FieldMask], Any],
        build: Callable[[str], Any],
        *paths: str,
    ) -> str:
        """Create in en, then write the ja content of ``paths`` onto the same elements."""
        created = _raw(create(build("en")))
        ja = build("ja")
        ja.name = created.name
        adopt_names(created, ja)
        update(ja, _mask(*paths))
        return str(created.name)

    def agent(self, parent: str, display_name: str) -> None:
        agent = self.c.agents.create_agent(
            request=cx.CreateAgentRequest(
                parent=parent,
                agent=cx.Agent.wrap(
                    _Agent(
                        display_name=display_name,
                        default_language_code="en",
                        supported_language_codes=["ja"],
                        time_zone="Asia/Tokyo",
                        description="Synthetic agent written by cxops bench.",
                    )
                ),
            ),
            timeout=TIMEOUT,
        )
        self.names.agent = agent.name
        self.names.default_flow = agent.start_flow

    def create(
        self, client: Any, method: str, kind: Any, field_name: str, parent: str, msg: Any, lang: str = ""
    ) -> Any:
        request_cls = getattr(cx, f"Create{kind.__name__}Request")
        fields: dict[str, Any] = {"parent": parent, field_name: kind.wrap(msg)}
        if lang:
            fields["language_code"] = lang
        return getattr(client, method)(request=request_cls(**fields), timeout=TIMEOUT)

    def update(
        self, client: Any, method: str, kind: Any, field_name: str, msg: Any, mask: Any, lang: str
    ) -> Any:
        request_cls = getattr(cx, f"Update{kind.__name__}Request")
        fields: dict[str, Any] = {field_name: kind.wrap(msg), "update_mask": mask}
        if "language_code" in request_cls.meta.fields:
            fields["language_code"] = lang
        return getattr(client, method)(request=request_cls(**fields), timeout=TIMEOUT)

    def entity_types(self) -> None:
        spec, c, agent = self.spec, self.c.entity_types, self.names.agent

        def one(e: int) -> str:
            return self.bilingual(
                lambda m: self.create(c, "create_entity_type", cx.EntityType, "entity_type", agent, m, "en"),
                lambda m, mask: self.update(
                    c, "update_entity_type", cx.EntityType, "entity_type", m, mask, "ja"
                ),
                lambda lang: entity_type(spec, e, lang),
                "entities",
                "excluded_phrases",
            )

        self.names.entity_types = self.map(one, range(spec.entity_types))

    def webhooks(self) -> None:
        c, agent = self.c.webhooks, self.names.agent

        def one(w: int) -> str:
            return str(
                self.create(c, "create_webhook", cx.Webhook, "webhook", agent, webhook(self.spec, w)).name
            )

        self.names.webhooks = self.map(one, range(self.spec.webhooks))

    def intents(self) -> None:
        spec, names, c = self.spec, self.names, self.c.intents

        def one(i: int) -> str:
            return self.bilingual(
                lambda m: self.create(c, "create_intent", cx.Intent, "intent", names.agent, m, "en"),
                lambda m, mask: self.update(c, "update_intent", cx.Intent, "intent", m, mask, "ja"),
                lambda lang: intent(spec, names, i, lang),
                "training_phrases",
            )

        names.intents = self.map(one, range(spec.intents))

    def flows(self) -> None:
        c, agent = self.c.flows, self.names.agent

        def one(f: int) -> str:
            return str(self.create(c, "create_flow", cx.Flow, "flow", agent, flow(self.spec, f), "en").name)

        self.names.flows = self.map(one, range(self.spec.flows))

    def agent_route_groups(self) -> None:
        spec, names, c = self.spec, self.names, self.c.route_groups
        kind, field_name = cx.TransitionRouteGroup, "transition_route_group"

        def one(a: int) -> str:
            return self.bilingual(
                lambda m: self.create(
                    c, "create_transition_route_group", kind, field_name, names.agent, m, "en"
                ),
                lambda m, mask: self.update(
                    c, "update_transition_route_group", kind, field_name, m, mask, "ja"
                ),
                lambda lang: agent_route_group(spec, names, a, lang),
                "transition_routes",
            )

        names.agent_groups = self.map(one, range(spec.agent_route_groups))

    def page_shells(self) -> None:
        spec, names, c = self.spec, self.names, self.c.pages

        def one(fp: tuple[int, int]) -> str:
            f, p = fp
            shell = _Page(display_name=page_name(p))
            return str(self.create(c, "create_page", cx.Page, "page", names.flows[f], shell, "en").name)

        cells = [(f, p) for f in range(spec.flows) for p in range(spec.pages_per_flow)]
        made = self.map(one, cells)
        names.pages = [
            made[f * spec.pages_per_flow : (f + 1) * spec.pages_per_flow] for f in range(spec.flows)
        ]

    def flow_route_groups(self) -> None:
        spec, names, c = self.spec, self.names, self.c.route_groups
        kind, field_name = cx.TransitionRouteGroup, "transition_route_group"

        def one(k: int) -> str:
            return self.bilingual(
                lambda m: self.create(
                    c, "create_transition_route_group", kind, field_name, names.flows[k % spec.flows], m, "en"
                ),
                lambda m, mask: self.update(
                    c, "update_transition_route_group", kind, field_name, m, mask, "ja"
                ),
                lambda lang: flow_route_group(spec, names, k, lang),
                "transition_routes",
            )

        names.flow_groups = self.map(one, range(spec.flow_route_groups))

    def fill_pages(self) -> None:
        spec, names, c = self.spec, self.names, self.c.pages
        content = ("entry_fulfillment", "form", "transition_routes", "event_handlers")

        def one(fp: tuple[int, int]) -> None:
            f, p = fp
            en = page(spec, names, f, p, "en")
            written = _raw(
                self.update(
                    c, "update_page", cx.Page, "page", en, _mask(*content, "transition_route_groups"), "en"
                )
            )
            ja = page(spec, names, f, p, "ja")
            adopt_names(written, ja)
            self.update(c, "update_page", cx.Page, "page", ja, _mask(*content), "ja")

        self.map(one, [(f, p) for f in range(spec.flows) for p in range(spec.pages_per_flow)])

    def start_pages(self) -> None:
        spec, names, c = self.spec, self.names, self.c.flows
        routes = ("transition_routes", "event_handlers")

        def write(en: Any, ja: Any) -> None:
            written = _raw(
                self.update(
                    c, "update_flow", cx.Flow, "flow", en, _mask(*routes, "transition_route_groups"), "en"
                )
            )
            adopt_names(written, ja)
            self.update(c, "update_flow", cx.Flow, "flow", ja, _mask(*routes), "ja")

        def one(f: int) -> None:
            write(start_page(spec, names, f, "en"), start_page(spec, names, f, "ja"))

        def default() -> None:
            # Keep what the new agent's start flow already routes (the welcome intent), in front.
            current = _raw(c.get_flow(name=names.default_flow, timeout=TIMEOUT))
            kept = list(current.transition_routes)
            flows: dict[str, Any] = {}
            for lang in LANGUAGES:
                routes_, handlers = default_start_routes(spec, names, lang)
                msg = _Flow(name=names.default_flow, event_handlers=handlers)
                for route in kept:
                    copy = msg.transition_routes.add()
                    copy.CopyFrom(route)
                    if lang == "ja" and copy.trigger_fulfillment.messages:
                        del copy.trigger_fulfillment.messages[:]
                        copy.trigger_fulfillment.messages.add().text.text.append(_WELCOME_JA)
                msg.transition_routes.extend(routes_)
                if names.agent_groups:
                    msg.transition_route_groups.append(names.agent_groups[0])
                flows[lang] = msg
            write(flows["en"], flows["ja"])

        futures = [self.pool.submit(one, f) for f in range(spec.flows)]
        futures.append(self.pool.submit(default))
        for future in futures:
            future.result()

    def test_cases(self) -> None:
        spec, names, c = self.spec, self.names, self.c.test_cases

        def one(t: int) -> str:
            msg = test_case(spec, names, t)
            return str(self.create(c, "create_test_case", cx.TestCase, "test_case", names.agent, msg).name)

        names.test_cases = self.map(one, range(spec.test_cases))


def build_agent(
    channel: grpc.Channel,
    size: str | Spec = "S",
    *,
    parent: str = DEFAULT_PARENT,
    display_name: str | None = None,
    workers: int = 8,
    progress: Callable[[str, float], None] | None = None,
) -> str:
    """Create a synthetic agent of ``size`` under ``parent`` and return its resource name.

    ``progress(stage, seconds)`` is called after each stage, in dependency order.
    """
    spec = resolve(size)
    label = size.upper() if isinstance(size, str) else "custom"
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="bench-build") as pool:
        builder = _Builder(channel, spec, pool)
        stages: list[tuple[str, Callable[[], None]]] = [
            ("agent", lambda: builder.agent(parent, display_name or f"cxops bench {label}")),
            ("entity_types", builder.entity_types),
            ("webhooks", builder.webhooks),
            ("intents", builder.intents),
            ("flows", builder.flows),
            ("agent_route_groups", builder.agent_route_groups),
            ("page_shells", builder.page_shells),
            # Before the pages are filled: pages reference these groups, and the groups only
            # need the page shells to exist.
            ("flow_route_groups", builder.flow_route_groups),
            ("fill_pages", builder.fill_pages),
            ("start_pages", builder.start_pages),
            ("test_cases", builder.test_cases),
        ]
        for stage, run in stages:
            started = time.perf_counter()
            run()
            if progress is not None:
                progress(stage, time.perf_counter() - started)
    return builder.names.agent
