"""A plan: the ordered writes that make a stage's live agent equal its desired state.

The plan is a frozen value (SQLMesh-style) that serializes to a versioned JSON file
(docs/plan-file.md). It holds what a reviewer needs (the diff, rendered by the diff renderers)
and what the gate needs (fingerprints of both sides, the source of the desired state, hashes of
secrets resolved at planning, the exact write program), and a hash over all of it that
approvals bind to. Secret values never appear: placeholders, or digests keyed by the plan's
own salt (core/secretdigest.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from cxops.core import renames, secretdigest, security
from cxops.core.diff import Diff, FieldChange, ResourceChange, compare
from cxops.core.envplan import EnvPlan, env_plan_from_data
from cxops.core.validate import api_visible_snapshot
from cxops.errors import ConfigError, Location, ValidationError
from cxops.model import kinds as K
from cxops.model import secrets
from cxops.model.kinds import ORDER
from cxops.model.snapshot import AGENT_KEY, Body, Key, Snapshot, body_hash, canonical_json
from cxops.package import desired as api

FORMAT = "cxops-plan"
VERSION = 1
SHELL_KINDS = frozenset({"flow", "page", "flow_route_group", "route_group"})
# CX's fixed resources: every agent has them; they are updated, never created or deleted.
# Every apply that writes takes the stage's lease and gives it back (workflows/lease.py).
LEASE_WRITES = 2
# Above this many write calls, or minutes at the stage's write rate, the plan suggests one
# RestoreAgent instead (where the stage allows replacing the whole agent).
RESTORE_SUGGESTED_ABOVE = 300
RESTORE_SUGGESTED_MINUTES = 2.0
FIXED_INTENTS = ("Default Welcome Intent", "Default Negative Intent")
START_FIELDS = ("start_flow", "start_playbook")
# Tree fields that the API holds under another name.
API_FIELD = {"agent_transition_route_groups": "transition_route_groups"}
# Output-only in the API although exports carry them.
READ_ONLY = {"playbook": frozenset({"referenced_playbooks", "referenced_flows"})}

# Kind order of writes: SPEC §5's dependency order, with playbook examples after the flows
# (an example may invoke a flow).
WRITE_ORDER = (*(k for k in ORDER if k != "example"), "example")

WriteOp = Literal["create", "shell", "update", "delete"]


@dataclass(frozen=True)
class Write:
    """One API write. ``mask`` is the update mask (None: the whole resource)."""

    op: WriteOp
    key: Key
    language: str | None = None
    mask: tuple[str, ...] | None = None
    # An update that renames: the live resource is the one named so before (same kind, scope).
    renamed_from: str | None = None

    def describe(self) -> str:
        lang = f" [{self.language}]" if self.language else ""
        mask = f" ({', '.join(self.mask)})" if self.mask else ""
        if self.renamed_from is not None:
            old = Key(self.key.kind, self.key.scope, self.renamed_from)
            return f"rename {old} → {self.key.name}{lang}{mask}"
        verb = "create shell of" if self.op == "shell" else self.op
        return f"{verb} {self.key}{lang}{mask}"


@dataclass(frozen=True)
class Approval:
    reviewer: str
    time: str
    plan_hash: str
    comment: str = ""
    signature: str | None = None


@dataclass(frozen=True)
class Plan:
    stage: str
    agent: str  # the tree's agent name (agents/<agent>)
    source: Mapping[str, Any]  # where the desired state came from, to read it again at apply
    author: str
    created_at: str
    desired_fingerprint: str
    live_fingerprint: str
    live_resources: int
    diff: Diff
    writes: tuple[Write, ...]
    # Secrets of written resources: placeholder name -> digest of the value resolved at planning
    # under ``secret_salt`` (None: not resolvable where the plan was made; apply resolves it
    # and checks nothing).
    secrets: Mapping[str, str | None] = field(default_factory=dict)
    # The key of every secret digest the plan holds, its live fingerprint's included; empty
    # only in a plan made by a cxops that hashed secrets unsalted (the gate refuses those).
    secret_salt: str = ""
    # Changes to where a credential goes or comes from (cxops.core.security): a plan with any
    # needs an approval by someone other than its author, on every stage.
    security: tuple[str, ...] = ()
    # The stage's rate_limits.writes_per_minute when planned: what apply's time is paced by.
    writes_per_minute: float | None = None
    approvals: tuple[Approval, ...] = ()
    # An environment stage's plan (core/envplan.py): versions and one UpdateEnvironment instead
    # of writes; everything else of the plan (hashes, approvals, the gate) is the same.
    environment: EnvPlan | None = None
    # ``versions: on_apply``: the CreateVersion and DeleteVersion (pruning) calls apply makes
    # after its writes, as read when planned; None for stages without versions.
    versions: tuple[int, int] | None = None
    # What the gate re-reads instead of the whole agent (workflows/watch.py): the time the
    # planning read began, the live start flow, digests of the collections the writes go into.
    watch: Mapping[str, Any] | None = None

    def __bool__(self) -> bool:
        return bool(self.writes) or bool(self.environment)

    def cost(self) -> dict[str, Any]:
        """What apply will cost, for the reviewer: write calls (the plan's, plus taking and giving
        back the stage's lease), long-running operations, and the least time they take at the
        stage's write rate (CX's design-time quota is about 60 requests a minute per project)."""
        if self.environment is not None:
            env = self.environment
            calls = env.write_calls + (LEASE_WRITES if env else 0)
            running = env.long_running
        else:
            calls = len(self.writes) + (LEASE_WRITES if self.writes else 0)
            running = 0
            if self.versions is not None:
                calls += sum(self.versions)
                running += self.versions[0]
        out: dict[str, Any] = {
            "write_calls": calls,
            "long_running_operations": running,
            "writes_per_minute": self.writes_per_minute,
        }
        if self.versions is not None:
            out["flow_versions"] = {"create": self.versions[0], "delete": self.versions[1]}
        if self.writes_per_minute:
            minutes = calls / self.writes_per_minute
            out["minutes_at_rate_limit"] = round(minutes, 1)
            out["suggest_restore"] = minutes >= RESTORE_SUGGESTED_MINUTES
        else:
            out["suggest_restore"] = calls > RESTORE_SUGGESTED_ABOVE
        return out

    @property
    def deletes(self) -> int:
        return sum(1 for c in self.diff.changes if c.op == "remove")

    def body(self) -> dict[str, Any]:
        """Everything the plan hash covers (all but the hash and the approvals)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "stage": self.stage,
            "agent": self.agent,
            "source": dict(self.source),
            "author": self.author,
            "created_at": self.created_at,
            "desired_fingerprint": self.desired_fingerprint,
            "live_fingerprint": self.live_fingerprint,
            "live_resources": self.live_resources,
            "summary": self.diff.summary(),
            "expected": list(self.diff.expected),
            "changes": [_change_data(c) for c in self.diff.changes],
            "writes": [_write_data(w) for w in self.writes],
            "secrets": dict(sorted(self.secrets.items())),
            **({"secret_salt": self.secret_salt} if self.secret_salt else {}),
            "security": list(self.security),
            "cost": self.cost(),
            # Only where present, so that the hashes of other plans stay what they were.
            **({"environment": self.environment.as_data()} if self.environment is not None else {}),
            **({"versions": list(self.versions)} if self.versions is not None else {}),
            **({"watch": dict(self.watch)} if self.watch is not None else {}),
        }

    @property
    def hash(self) -> str:
        return body_hash(self.body())

    def to_json(self) -> str:
        data = self.body()
        data["plan_hash"] = self.hash
        data["approvals"] = [approval_data(a) for a in self.approvals]
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def approval_data(approval: Approval) -> dict[str, Any]:
    return {
        "reviewer": approval.reviewer,
        "time": approval.time,
        "comment": approval.comment,
        "plan_hash": approval.plan_hash,
        "signature": approval.signature,
    }


def _key_data(key: Key) -> dict[str, str]:
    return {"kind": key.kind, "scope": key.scope, "name": key.name}


def _change_data(change: ResourceChange) -> dict[str, Any]:
    return change.as_data()


def _write_data(write: Write) -> dict[str, Any]:
    out: dict[str, Any] = {"op": write.op, **_key_data(write.key)}
    if write.language is not None:
        out["language"] = write.language
    if write.mask is not None:
        out["mask"] = list(write.mask)
    if write.renamed_from is not None:
        out["renamed_from"] = write.renamed_from
    return out


# -- comparing a live agent with its desired state -------------------------------------------


def comparable(snapshot: Snapshot) -> Snapshot:
    """What the API can hold, secrets as placeholders, without the agent's display name (each
    stage's own, "Order Desk (stg)", never written): the form both sides are compared in."""
    out = api_visible_snapshot(snapshot, supported_only=True)
    secrets.redact(out)
    for kind, drop in READ_ONLY.items():
        for k, body in out.of_kind(kind):
            out.resources[k] = {f: v for f, v in body.items() if f not in drop}
    if AGENT_KEY in out.resources:
        out.resources[AGENT_KEY] = {k: v for k, v in out.agent.items() if k != "display_name"}
    return out


def secret_values(snapshot: Snapshot) -> dict[tuple[Key, tuple[str | int, ...]], str]:
    """The credential values a live snapshot holds, by resource and path (before redaction)."""
    out: dict[tuple[Key, tuple[str | int, ...]], str] = {}
    for slot in secrets.slots(snapshot):
        value = secrets.value_at(snapshot.resources[slot.key], slot.path)
        if isinstance(value, str) and not secrets.is_placeholder(value):
            out[(slot.key, slot.path)] = value
    return out


def fingerprint(snapshot: Snapshot, secret_hashes: Mapping[str, str] | None = None) -> str:
    """``secret_hashes``: digests (core/secretdigest.py) of credential values the comparable
    snapshot holds as placeholders, so that a changed value changes the fingerprint."""
    digest = hashlib.sha256(snapshot.fingerprint().encode())
    if secret_hashes:
        digest.update(canonical_json(dict(sorted(secret_hashes.items()))))
    return "sha256:" + digest.hexdigest()


def is_empty(live: Snapshot) -> bool:
    """Only what CX creates with every agent."""
    start = start_flow(live)
    for key, _ in live:
        if key.kind in ("agent", "generative_settings"):
            continue
        if key.kind == "intent" and key.name in FIXED_INTENTS:
            continue
        if key.kind == "flow" and key.name == start:
            continue  # its start page's default routes and handlers come with every agent
        return False
    return True


def start_flow(snapshot: Snapshot) -> str | None:
    value = snapshot.agent.get("start_flow")
    return value if isinstance(value, str) else None


def match_fixed(live: Snapshot, desired: Snapshot) -> Snapshot:
    """Live with its start flow keyed as the desired one: fixed resources map by role."""
    have, want = start_flow(live), start_flow(desired)
    if not have or not want or have == want or Key("flow", "", want) in live.resources:
        return live
    out = Snapshot(origins=dict(live.origins))
    for key, body in live.resources.items():
        if key == Key("flow", "", have):
            key = Key("flow", "", want)
        elif key.kind in ("page", "flow_route_group") and key.scope == have:
            key = Key(key.kind, want, key.name)
        out.resources[key] = body
    return out


def is_fixed(key: Key, live: Snapshot) -> bool:
    if key.kind == "intent" and key.name in FIXED_INTENTS:
        return True
    return key.kind == "flow" and key.name == start_flow(live)


# -- the write program ------------------------------------------------------------------------


def _api_mask(fields: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({API_FIELD.get(f, f) for f in fields}))


def _localized(body: Body, key: Key, language: str) -> dict[str, Any]:
    value = api.localize(body, K.KINDS[key.kind].descriptor, language)
    return value if isinstance(value, dict) else {}


def _changed(before: Body, after: Body, key: Key, language: str) -> set[str]:
    lb, la = _localized(before, key, language), _localized(after, key, language)
    return {f for f in set(lb) | set(la) if f != "display_name" and lb.get(f) != la.get(f)}


def _has_language(body: Body, fields: Iterable[str], key: Key, language: str) -> bool:
    part = {f: body[f] for f in fields if f in body}
    return bool(part) and api.has_language(part, K.KINDS[key.kind].descriptor, language)


def update_writes(key: Key, before: Body, after: Body, languages: list[str]) -> list[Write]:
    """One update per language whose content differs, masked to the fields that differ."""
    if key.kind == "generative_settings":
        return [
            Write("update", key, lang)
            for lang in sorted(set(before) | set(after))
            if before.get(lang) != after.get(lang) and lang in after
        ]
    default, others = languages[0], languages[1:]
    out: list[Write] = []
    base = _changed(before, after, key, default)
    if after.get("display_name", key.name) != before.get("display_name", key.name):
        base.add("display_name")
    if base:
        out.append(Write("update", key, default, _api_mask(base)))
    translated = set(api.TRANSLATED_FIELDS.get(key.kind, ()))
    for lang in others:
        fields = {
            f
            for f in _changed(before, after, key, lang) & translated
            if _has_language(after, [f], key, lang) or _has_language(before, [f], key, lang)
        }
        if fields:
            out.append(Write("update", key, lang, _api_mask(fields)))
    return out


def _translations(key: Key, body: Body, languages: list[str]) -> list[Write]:
    translated = [f for f in api.TRANSLATED_FIELDS.get(key.kind, ()) if f in body]
    return [
        Write("update", key, lang, _api_mask(translated))
        for lang in languages[1:]
        if translated and _has_language(body, translated, key, lang)
    ]


def _resolvable(key: Key, body: Body, existing: set[Key], agent: str, language: str) -> bool:
    if key.kind == "flow" and b'"target_page"' in canonical_json(body):
        return False  # its start page's targets are pages of the flow itself, which has no name yet
    names = api.Names(agent)
    names.by_key = {k: f"{agent}/planned/{i}" for i, k in enumerate(existing)}
    try:
        api.message(key, body, language, names)
    except ValidationError:
        return False
    return True


PLANNING_AGENT = "projects/-/locations/-/agents/-"


def program(live: Snapshot, desired: Snapshot, diff: Diff, rotated: set[Key]) -> tuple[Write, ...]:
    """The writes of a diff, in apply order (SPEC §5): the agent's own settings first (its
    languages must exist before content in them), creates in dependency order — flows, pages
    and route groups as shells where they name something not yet there — then updates and the
    fills of shells, the start flow, and deletes last in reverse order."""
    languages = api.languages_of(desired)
    default = languages[0]
    by_op: dict[str, list[ResourceChange]] = {"add": [], "change": [], "remove": []}
    for change in diff.changes:
        by_op[change.op].append(change)
    # Generative settings always exist: an added one is an update, a removed one is left as is.
    settings_added = {c.key for c in by_op["add"] if c.key.kind == "generative_settings"}
    by_op["add"] = [c for c in by_op["add"] if c.key not in settings_added]
    by_op["remove"] = [c for c in by_op["remove"] if c.key.kind != "generative_settings"]
    changed_keys = {c.key for c in by_op["change"]} | rotated | settings_added
    first: list[Write] = []
    creates: list[Write] = []
    updates: list[Write] = []
    last: list[Write] = []

    if AGENT_KEY in changed_keys:
        before, after = live.agent, desired.agent
        fields = {f for f in set(before) | set(after) if before.get(f) != after.get(f)}
        settings = fields - set(START_FIELDS)
        if settings:
            first.append(Write("update", AGENT_KEY, None, _api_mask(settings)))
        if fields & set(START_FIELDS):
            last.append(Write("update", AGENT_KEY, None, _api_mask(fields & set(START_FIELDS))))

    existing = set(live.resources)
    # Renames first, before any create or update that may name the new names: an update of
    # display_name keeps the resource's id and whatever refers to it. Where the new content
    # names only what exists by then it goes along in the same call; otherwise it follows
    # with the other updates.
    renamed: dict[Key, Key] = {}
    for change in by_op["change"]:
        if change.renamed_from is not None:
            renamed[change.key] = change.renamed_from
    existing |= set(renamed)
    rename_only: dict[Key, Body] = {}
    for key in sorted(renamed, key=_write_key):
        old, body = renamed[key], desired.resources[key]
        if _resolvable(key, body, existing, PLANNING_AGENT, default):
            continue
        first.append(Write("update", key, default, ("display_name",), renamed_from=old.name))
        rename_only[key] = {**live.resources[old], "display_name": body.get("display_name", key.name)}
    shells: list[Key] = []
    for change in sorted(by_op["add"], key=lambda c: _write_key(c.key)):
        key, body = change.key, desired.resources[change.key]
        if key.kind in SHELL_KINDS and not _resolvable(key, body, existing, PLANNING_AGENT, default):
            creates.append(Write("shell", key, default))
            shells.append(key)
        else:
            creates.append(Write("create", key, default))
            creates.extend(_translations(key, body, languages))
        existing.add(key)

    fill = {key: {"display_name": desired.resources[key].get("display_name", key.name)} for key in shells}
    for key in sorted(changed_keys | set(shells), key=_write_key):
        if key == AGENT_KEY:
            continue
        was = renamed.get(key)
        before = fill.get(key) or rename_only.get(key) or live.resources.get(was or key, {})
        writes = update_writes(key, before, desired.resources[key], languages)
        if key in rotated and not any(w.language in (default, None) for w in writes):
            writes.insert(0, Write("update", key, default, _api_mask(_secret_fields(desired, key))))
        elif key in rotated:
            first_write = writes[0]
            mask = _api_mask([*(first_write.mask or ()), *_secret_fields(desired, key)])
            writes[0] = Write("update", key, first_write.language, mask)
        if was is not None and key not in rename_only and writes:
            # The first write (default language, with display_name) renames, before the others.
            writes[0] = dataclasses.replace(writes[0], renamed_from=was.name)
            first.append(writes.pop(0))
        updates.extend(writes)

    deletes = [c.key for c in by_op["remove"] if not is_fixed(c.key, live)]
    gone = set(deletes)
    for key in sorted(deletes, key=_write_key, reverse=True):
        scope_kind = K.KINDS[key.kind].scope
        if scope_kind and Key(scope_kind, "", key.scope) in gone:
            continue  # deleted with its flow or playbook
        last.append(Write("delete", key))
    return tuple(first + creates + updates + last)


def _write_key(key: Key) -> tuple[int, str, str]:
    return (WRITE_ORDER.index(key.kind), key.scope, key.name)


def _secret_fields(snapshot: Snapshot, key: Key) -> list[str]:
    one = Snapshot(resources={key: snapshot.resources[key]})
    return sorted({str(slot.path[0]) for slot in secrets.slots(one)})


def make_plan(
    *,
    stage: str,
    agent: str,
    source: Mapping[str, Any],
    author: str,
    created_at: str,
    live: Snapshot,
    desired: Snapshot,
    live_fingerprint: str,
    secret_salt: str,
    live_secrets: Mapping[tuple[Key, tuple[str | int, ...]], str] | None = None,
    resolved: Mapping[str, str | None] | None = None,
    expected: tuple[str, ...] = (),
    sources_changed: Mapping[str, str] | None = None,
    writes_per_minute: float | None = None,
) -> Plan:
    """``live`` and ``desired`` in :func:`comparable` form. ``live_secrets``: the live agent's
    credential values; ``resolved``: the desired ones resolvable here (None where not), by
    placeholder name. A secret whose value differs from live is a change, shown as digests
    under ``secret_salt`` (the salt ``live_fingerprint`` was made with)."""
    bootstrap = is_empty(live)
    # Keys as compare sees them: the start flow by role, a renamed flow's pages under its new name.
    live = renames.rescoped(match_fixed(live, desired), desired)
    diff = _unfixed(compare(live, desired, f"{stage} (live)", _source_label(source)), live, desired)
    rotated: dict[Key, list[FieldChange]] = {}
    hashes: dict[str, str | None] = {}
    live_secret_values = live_secrets or {}
    for slot in secrets.slots(desired):
        value = (resolved or {}).get(slot.name)
        hashes[slot.name] = secretdigest.digest(value, secret_salt) if value is not None else None
        if value is None or slot.key not in live.resources:
            continue
        now = live_secret_values.get((slot.key, slot.path))
        if now != value and secrets.value_at(live.resources[slot.key], slot.path) is not None:
            rotated.setdefault(slot.key, []).append(
                FieldChange(
                    "changed",
                    slot.path,
                    before=secretdigest.digest(now, secret_salt) if now is not None else None,
                    after=secretdigest.digest(value, secret_salt),
                )
            )
    rotated_keys = set(rotated)
    changes = []
    for change in diff.changes:
        extra = tuple(rotated.pop(change.key, [])) if change.op == "change" else ()
        changes.append(dataclasses.replace(change, fields=change.fields + extra))
    changes += [ResourceChange(key, "change", tuple(fields)) for key, fields in rotated.items()]
    changes.sort(key=lambda c: c.key.sort_key)
    full = Diff(diff.left, diff.right, tuple(changes), expected)
    writes = program(live, desired, full, rotated_keys)
    written = {w.key for w in writes if w.op != "delete"}
    return Plan(
        stage=stage,
        agent=agent,
        source=source,
        author=author,
        created_at=created_at,
        desired_fingerprint=fingerprint(desired),
        live_fingerprint=live_fingerprint,
        live_resources=len(live.resources),
        diff=full,
        writes=writes,
        secrets={slot.name: hashes[slot.name] for slot in secrets.slots(desired) if slot.key in written},
        secret_salt=secret_salt,
        security=security.notes(live, desired, full, sources_changed or {}, bootstrap=bootstrap),
        writes_per_minute=writes_per_minute,
    )


def _unfixed(diff: Diff, live: Snapshot, desired: Snapshot) -> Diff:
    """A default intent is never renamed away (as it is never deleted): an add and a remove."""
    changes: list[ResourceChange] = []
    for change in diff.changes:
        old = change.renamed_from
        if old is not None and is_fixed(old, live):
            changes += [
                ResourceChange(change.key, "add", body=desired.resources.get(change.key)),
                ResourceChange(old, "remove", body=live.resources.get(old)),
            ]
        else:
            changes.append(change)
    return dataclasses.replace(diff, changes=tuple(changes))


def _source_label(source: Mapping[str, Any]) -> str:
    kind = source.get("kind")
    if kind == "stage":
        return f"{source.get('stage')} (live)"
    if kind == "git":
        return f"git:{source.get('ref')}"
    if kind == "backup":
        return f"backup {source.get('path')}"
    return str(source.get("path", "desired"))


# -- the plan file ----------------------------------------------------------------------------


def _key(data: Mapping[str, Any]) -> Key:
    return Key(str(data["kind"]), str(data.get("scope", "")), str(data["name"]))


def _field(data: Mapping[str, Any]) -> FieldChange:
    return FieldChange(
        op=cast("Any", data["op"]),
        path=tuple(data["path"]),
        before=data.get("before"),
        after=data.get("after"),
    )


def from_data(data: Mapping[str, Any], where: str) -> Plan:
    """A plan from its JSON form; the hash is checked by the gate, not here."""
    if data.get("format") != FORMAT:
        raise ConfigError('not a cxops plan file (no "format": "cxops-plan")', Location(where))
    if data.get("version") != VERSION:
        raise ConfigError(
            f"plan file version {data.get('version')!r}; this cxops reads version {VERSION}",
            Location(where, None, "version"),
        )
    try:
        diff = Diff(
            left=f"{data['stage']} (live)",
            right=_source_label(data["source"]),
            changes=tuple(
                ResourceChange(
                    _key(c),
                    c["op"],
                    tuple(_field(f) for f in c["fields"]),
                    Key(str(c["kind"]), str(c.get("scope", "")), str(c["renamed_from"]))
                    if c.get("renamed_from") is not None
                    else None,
                )
                for c in data["changes"]
            ),
            expected=tuple(data.get("expected", ())),
        )
        return Plan(
            stage=str(data["stage"]),
            agent=str(data["agent"]),
            source=dict(data["source"]),
            author=str(data["author"]),
            created_at=str(data["created_at"]),
            desired_fingerprint=str(data["desired_fingerprint"]),
            live_fingerprint=str(data["live_fingerprint"]),
            live_resources=int(data["live_resources"]),
            diff=diff,
            writes=tuple(
                Write(
                    w["op"],
                    _key(w),
                    w.get("language"),
                    tuple(w["mask"]) if w.get("mask") is not None else None,
                    str(w["renamed_from"]) if w.get("renamed_from") is not None else None,
                )
                for w in data["writes"]
            ),
            secrets=dict(data.get("secrets", {})),
            secret_salt=_salt(data.get("secret_salt", "")),
            security=tuple(str(n) for n in data.get("security", [])),
            writes_per_minute=(data.get("cost") or {}).get("writes_per_minute"),
            approvals=tuple(
                Approval(
                    reviewer=str(a["reviewer"]),
                    time=str(a["time"]),
                    plan_hash=str(a["plan_hash"]),
                    comment=str(a.get("comment", "")),
                    signature=a.get("signature"),
                )
                for a in data.get("approvals", [])
            ),
            environment=env_plan_from_data(data["environment"]) if "environment" in data else None,
            versions=(int(data["versions"][0]), int(data["versions"][1])) if "versions" in data else None,
            watch=_watch(data["watch"]) if "watch" in data else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as bad:
        raise ConfigError(f"plan file is incomplete or malformed ({bad!r})", Location(where)) from bad


def _salt(value: Any) -> str:
    if not isinstance(value, str) or len(value) % 2 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError("secret_salt is not a hex string")
    return value


def _watch(data: Any) -> dict[str, Any]:
    collections = data["collections"]
    if not isinstance(collections, dict) or not isinstance(data["since"], str):
        raise ValueError("watch")
    return {"since": data["since"], "start_flow": data.get("start_flow"), "collections": dict(collections)}


def read_plan_data(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read plan file: {err.strerror or err}", Location(where)) from err
    except UnicodeDecodeError as err:
        raise ConfigError("plan file is not UTF-8", Location(where)) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"not JSON: {err.msg}", Location(where, err.lineno)) from err
    if not isinstance(data, dict):
        raise ConfigError("a plan file holds one JSON object", Location(where, 1))
    return data


def load_plan(path: Path) -> tuple[Plan, dict[str, Any]]:
    """The plan and its raw JSON (which the gate hashes as written, not as re-serialized)."""
    data = read_plan_data(path)
    return from_data(data, str(path)), data


def hash_of_data(data: Mapping[str, Any]) -> str:
    return body_hash({k: v for k, v in data.items() if k not in ("plan_hash", "approvals")})
