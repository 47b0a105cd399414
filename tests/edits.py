"""Seeded random edit sets over a snapshot: add, change and delete across kinds and languages."""

from __future__ import annotations

import random

from cxops.core.plan import FIXED_INTENTS
from cxops.core.validate import validate
from cxops.model.snapshot import Key, Snapshot
from cxops.package import desired as api


def random_edits(snapshot: Snapshot, rng: random.Random) -> list[str]:
    """Edit the snapshot in place; return what was done, for the failure message."""
    languages = api.languages_of(snapshot)
    done = []
    intents = [(k, b) for k, b in snapshot.of_kind("intent") if b.get("training_phrases")]
    for key, body in rng.sample(intents, min(3, len(intents))):
        language = rng.choice([lang for lang in languages if body["training_phrases"].get(lang)] or languages)
        body["training_phrases"].setdefault(language, []).append(
            f"phrase added by test {rng.randrange(10**6)}"
        )
        done.append(f"phrase in {key} [{language}]")
    messages = [
        (k, m)
        for k, b in snapshot
        if k.kind in ("page", "flow")
        for m in [b.get("entry_fulfillment", {}).get("messages")]
        if isinstance(m, dict) and m
    ]
    for key, by_language in rng.sample(messages, min(2, len(messages))):
        language = rng.choice(sorted(by_language))
        by_language[language] = [*by_language[language], {"text": {"text": ["changed by test"]}}]
        done.append(f"message in {key} [{language}]")
    new = Key("intent", "", f"test.added.{rng.randrange(10**6)}")
    snapshot.add(
        new,
        {
            "display_name": new.name,
            "training_phrases": {lang: [f"added phrase {lang}"] for lang in languages},
        },
    )
    done.append(f"added {new}")
    hooks = snapshot.of_kind("webhook")
    if hooks:
        key, body = rng.choice(hooks)
        service = body.get("generic_web_service")
        if isinstance(service, dict) and "uri" in service:
            service["uri"] = "https://changed.example.com/hook"
            done.append(f"uri of {key}")
    # Deletes: resources nothing else refers to (checked by validating without them).
    fixed = {Key("intent", "", n) for n in FIXED_INTENTS} | {
        Key("flow", "", str(snapshot.agent.get("start_flow")))
    }
    candidates = [k for k in snapshot.resources if k.kind in ("test_case", "intent", "page", "entity_type")]
    rng.shuffle(candidates)
    deleted = 0
    for key in candidates[:12]:
        if key in fixed or deleted >= 2:
            continue
        body = snapshot.resources.pop(key)
        if validate(snapshot):
            snapshot.resources[key] = body
            continue
        deleted += 1
        done.append(f"deleted {key}")
    return done
