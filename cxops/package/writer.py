"""A snapshot -> the files of a JSON package, in Google's layout and serialization style.

Resource ids are derived from keys (CX's fixed resources keep their fixed ids), so packaging
the same snapshot twice gives the same bytes, and importing the package gives the snapshot back.
"""

from __future__ import annotations

import uuid
from typing import Any

from cxops.model import kinds as K
from cxops.model import phrases
from cxops.model.snapshot import Body, Key, Snapshot
from cxops.package import codec, jsonfmt, playbooktests
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

    def encode(kind: K.Kind, body: Body) -> dict[str, Any]:
        return codec.encode(body, kind.descriptor, ctx)

    files["agent.json"] = _dump(encode(K.AGENT, snapshot.agent))
    flow_dirs = {key.name: f"flows/{enc(key.name)}" for key, _ in snapshot.of_kind("flow")}
    for key, body in snapshot.of_kind("flow"):
        folder = flow_dirs[key.name]
        files[f"{folder}/{enc(key.name)}.json"] = _dump(
            _with_id(resource_id(key, snapshot), _with_config_keys(key, encode(K.FLOW, body)))
        )
    for kind, sub in ((K.PAGE, "pages"), (K.FLOW_ROUTE_GROUP, "transitionRouteGroups")):
        for key, body in snapshot.of_kind(kind.name):
            folder = flow_dirs.get(key.scope, f"flows/{enc(key.scope)}")
            files[f"{folder}/{sub}/{enc(key.name)}.json"] = _dump(
                _with_id(resource_id(key, snapshot), encode(kind, body))
            )
    for kind in (K.ROUTE_GROUP, K.WEBHOOK, K.TEST_CASE):
        for key, body in snapshot.of_kind(kind.name):
            files[f"{kind.package_dir}/{enc(key.name)}.json"] = _dump(
                _with_id(resource_id(key, snapshot), encode(kind, body))
            )
    paths = {
        collection: {
            key.name: f"{agent_path}/{collection}/{resource_id(key, snapshot)}"
            for key, _ in snapshot.of_kind(kind)
        }
        for kind, collection in (("playbook", "playbooks"), ("tool", "tools"), ("flow", "flows"))
    }
    for key, body in snapshot.of_kind("playbook_test_case"):
        encoded = playbooktests.by_path(encode(K.PLAYBOOK_TEST_CASE, body), paths)
        files[f"{K.PLAYBOOK_TEST_CASE.package_dir}/{enc(key.name)}.json"] = _dump(
            _with_id(resource_id(key, snapshot), encoded)
        )
    for key, body in snapshot.of_kind("playbook"):
        folder = f"playbooks/{enc(key.name)}"
        files[f"{folder}/{enc(key.name)}.json"] = _dump(
            _with_id(resource_id(key, snapshot), encode(K.PLAYBOOK, body))
        )
    for key, body in snapshot.of_kind("example"):
        path = f"playbooks/{enc(key.scope)}/examples/{enc(key.name)}.json"
        files[path] = _dump(_with_id(resource_id(key, snapshot), encode(K.EXAMPLE, body)))
    for key, body in snapshot.of_kind("tool"):
        folder = f"tools/{enc(key.name)}"
        tool = dict(body)
        spec = dict(tool.get("open_api_spec") or {})
        schema = spec.pop("text_schema", None)
        if schema is not None:
            tool["open_api_spec"] = spec
            files[f"{folder}/schema.yaml"] = str(schema).encode("utf-8")
        files[f"{folder}/{enc(key.name)}.json"] = _dump(
            _with_id(resource_id(key, snapshot), encode(K.TOOL, tool))
        )
    for key, body in snapshot.of_kind("intent"):
        folder = f"intents/{enc(key.name)}"
        intent = {k: v for k, v in body.items() if k != "training_phrases"}
        files[f"{folder}/{enc(key.name)}.json"] = _dump(
            _with_id(resource_id(key, snapshot), encode(K.INTENT, intent))
        )
        for lang, lines in (body.get("training_phrases") or {}).items():
            files[f"{folder}/trainingPhrases/{lang}.json"] = _dump(
                {"trainingPhrases": [_phrase_json(line, lang) for line in lines]}
            )
    entity_desc = K.ENTITY_TYPE.descriptor.fields_by_name["entities"].message_type
    for key, body in snapshot.of_kind("entity_type"):
        folder = f"entityTypes/{enc(key.name)}"
        entity_type = {k: v for k, v in body.items() if k not in ("entities", "excluded_phrases")}
        files[f"{folder}/{enc(key.name)}.json"] = _dump(
            _with_id(resource_id(key, snapshot), encode(K.ENTITY_TYPE, entity_type))
        )
        for lang, entities in (body.get("entities") or {}).items():
            files[f"{folder}/entities/{lang}.json"] = _dump(
                {"entities": [{**codec.encode(e, entity_desc, ctx), "languageCode": lang} for e in entities]}
            )
        for lang, values in (body.get("excluded_phrases") or {}).items():
            files[f"{folder}/excludedPhrases/{lang}.json"] = _dump(
                {"excludedPhrases": [{"value": v, "languageCode": lang} for v in values]}
            )
    for key, body in snapshot.of_kind("generator"):
        folder = f"generators/{enc(key.name)}"
        generator = {k: v for k, v in body.items() if k != "prompt_text"}
        files[f"{folder}/{enc(key.name)}.json"] = _dump(
            _with_id(resource_id(key, snapshot), encode(K.GENERATOR, generator))
        )
        for lang, texts in (body.get("prompt_text") or {}).items():
            listed = texts if isinstance(texts, list) else [texts]
            files[f"{folder}/phrases/{lang}.json"] = _dump(
                {"promptTexts": [{"text": t, "languageCode": lang} for t in listed]}
            )
    for _, settings in snapshot.of_kind("generative_settings"):
        for lang, body in settings.items():
            files[f"generativeSettings/{lang}.json"] = _dump(
                encode(K.GENERATIVE_SETTINGS, {**body, "language_code": lang})
            )
    return files


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
