"""A snapshot -> the files of a JSON package, in Google's layout and serialization style.

Resource ids are derived from keys (CX's fixed resources keep their fixed ids), so packaging
the same snapshot twice gives the same bytes, and importing the package gives the snapshot back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from cxops.model import kinds as K
from cxops.model import phrases
from cxops.model.snapshot import Body, Key, Snapshot
from cxops.package import codec, jsonfmt, layout, playbooktests
from cxops.repo import names

ID_NAMESPACE = uuid.UUID("5d7a4b43-2f3e-4c1a-9f0e-0c9c6e0a7d11")
DEFAULT_START_FLOW = "00000000-0000-0000-0000-000000000000"
DEFAULT_WELCOME_INTENT = "00000000-0000-0000-0000-000000000000"
DEFAULT_NEGATIVE_INTENT = "00000000-0000-0000-0000-000000000001"
# Where generator references point when the package is not bound to a real agent.
UNBOUND_AGENT = "projects/-/locations/-/agents/-"


def resource_id(key: Key, snapshot: Snapshot) -> str:
    """The UUID a resource gets in a package: fixed for CX's default resources, else derived."""
    if key.kind == "flow" and key.name == start_flow_name(snapshot):
        return DEFAULT_START_FLOW
    if key.kind == "intent":
        if key.name == "Default Welcome Intent":
            return DEFAULT_WELCOME_INTENT
        if key.name == "Default Negative Intent":
            return DEFAULT_NEGATIVE_INTENT
    return str(uuid.uuid5(ID_NAMESPACE, f"{key.kind}\0{key.scope}\0{key.name}"))


def start_flow_name(snapshot: Snapshot) -> str:
    """The display name of CX's default start flow (id 00000000-…): the agent's start flow."""
    start = snapshot.agent.get("start_flow")
    return start if isinstance(start, str) and start else "Default Start Flow"


def languages(snapshot: Snapshot) -> list[str]:
    agent = snapshot.agent
    default = str(agent.get("default_language_code", "en")).lower()
    supported = [str(c).lower() for c in agent.get("supported_language_codes", [])]
    return [default, *(c for c in supported if c != default)]


def _dump(obj: Any) -> bytes:
    return jsonfmt.dumps(obj).encode("utf-8")


def _with_id(rid: str, encoded: dict[str, Any]) -> dict[str, Any]:
    return {"name": rid, **encoded}


def package_files(snapshot: Snapshot, agent_path: str = UNBOUND_AGENT) -> dict[str, bytes]:
    """Every file of the package, by relative path."""
    langs = languages(snapshot)
    ctx = codec.EncodeContext(languages=langs, agent=agent_path)
    for key, _ in snapshot.of_kind("generator"):
        ctx.generator_path[key.name] = f"{agent_path}/generators/{resource_id(key, snapshot)}"
    files: dict[str, bytes] = {}
    enc = names.package_encode
    # What a playbook test case names by path (playbooktests.REFERENCES).
    paths = {
        str(kind.collection): {
            key.name: f"{agent_path}/{kind.collection}/{resource_id(key, snapshot)}"
            for key, _ in snapshot.of_kind(kind.name)
        }
        for kind in (K.PLAYBOOK, K.TOOL, K.FLOW)
    }
    # The agent's file even for a snapshot without the agent's settings: a package has one.
    files[layout.AGENT_FILE] = _dump(codec.encode(snapshot.agent, K.AGENT.descriptor, ctx))
    for kind in K.KINDS.values():
        if kind is K.AGENT or kind is K.GENERATIVE_SETTINGS:
            continue
        for key, body in snapshot.of_kind(kind.name):
            # The content a kind keeps in files of its own (per-language side files, an attachment).
            split = _SPLIT.get(kind.name)
            main, extra = split(body, ctx) if split is not None else (body, {})
            encoded = codec.encode(main, kind.descriptor, ctx)
            if kind is K.FLOW:
                encoded = _with_config_keys(key, encoded)
            elif kind is K.PLAYBOOK_TEST_CASE:
                encoded = playbooktests.by_path(encoded, paths)
            files[layout.resource_file(kind, enc(key.name), enc(key.scope))] = _dump(
                _with_id(resource_id(key, snapshot), encoded)
            )
            for rel, data in extra.items():
                files[f"{layout.own_folder(kind, enc(key.name))}/{rel}"] = data
    for _, settings in snapshot.of_kind("generative_settings"):
        for lang, body in settings.items():
            files[layout.resource_file(K.GENERATIVE_SETTINGS, lang)] = _dump(
                codec.encode({**body, "language_code": lang}, K.GENERATIVE_SETTINGS.descriptor, ctx)
            )
    return files


Split = Callable[[Body, codec.EncodeContext], tuple[Body, dict[str, bytes]]]


def _tool(body: Body, ctx: codec.EncodeContext) -> tuple[Body, dict[str, bytes]]:
    tool = dict(body)
    spec = dict(tool.get("open_api_spec") or {})
    schema = spec.pop("text_schema", None)
    if schema is None:
        return tool, {}
    tool["open_api_spec"] = spec
    return tool, {str(K.TOOL.attachment): str(schema).encode("utf-8")}


def _intent(body: Body, ctx: codec.EncodeContext) -> tuple[Body, dict[str, bytes]]:
    intent = {k: v for k, v in body.items() if k != "training_phrases"}
    return intent, {
        f"trainingPhrases/{lang}.json": _dump(
            {"trainingPhrases": [_phrase_json(line, lang) for line in lines]}
        )
        for lang, lines in (body.get("training_phrases") or {}).items()
    }


def _entity_type(body: Body, ctx: codec.EncodeContext) -> tuple[Body, dict[str, bytes]]:
    entity_desc = K.ENTITY_TYPE.descriptor.fields_by_name["entities"].message_type
    entity_type = {k: v for k, v in body.items() if k not in ("entities", "excluded_phrases")}
    extra = {
        f"entities/{lang}.json": _dump(
            {"entities": [{**codec.encode(e, entity_desc, ctx), "languageCode": lang} for e in entities]}
        )
        for lang, entities in (body.get("entities") or {}).items()
    }
    for lang, values in (body.get("excluded_phrases") or {}).items():
        extra[f"excludedPhrases/{lang}.json"] = _dump(
            {"excludedPhrases": [{"value": v, "languageCode": lang} for v in values]}
        )
    return entity_type, extra


def _generator(body: Body, ctx: codec.EncodeContext) -> tuple[Body, dict[str, bytes]]:
    generator = {k: v for k, v in body.items() if k != "prompt_text"}
    extra = {}
    for lang, texts in (body.get("prompt_text") or {}).items():
        listed = texts if isinstance(texts, list) else [texts]
        extra[f"phrases/{lang}.json"] = _dump(
            {"promptTexts": [{"text": t, "languageCode": lang} for t in listed]}
        )
    return generator, extra


# Kinds whose package form moves content out of the resource's file: the side folders and
# attachment of their row in cxops/model/kinds.py (tests/test_kinds_table.py checks they agree).
_SPLIT: dict[str, Split] = {
    K.TOOL.name: _tool,
    K.INTENT.name: _intent,
    K.ENTITY_TYPE.name: _entity_type,
    K.GENERATOR.name: _generator,
}


def _with_config_keys(key: Key, flow: dict[str, Any]) -> dict[str, Any]:
    """A flow's export-only NLU settings with the config key a tree leaves out (a server UUID),
    derived from the flow and language so the same tree gives the same bytes."""
    for entry in flow.get("nluSettingsList") or []:
        if isinstance(entry, dict) and "customConfigKey" not in entry:
            seed = f"nlu-config\0{key.name}\0{entry.get('languageCode', '')}"
            entry["customConfigKey"] = str(uuid.uuid5(ID_NAMESPACE, seed))
    return flow


def _phrase_json(line: Any, lang: str) -> dict[str, Any]:
    parts, count = phrases.decode_phrase(line)
    return {
        "parts": [
            {"text": p["text"], **({"parameterId": p["parameter_id"]} if p.get("parameter_id") else {})}
            for p in parts
        ],
        "repeatCount": count,
        "languageCode": lang,
    }
