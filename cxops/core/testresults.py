"""The outcome of ``cxops test`` as a frozen value: per test case, coverage, validation, and the
desired-state fingerprints it vouches for (the gate binds to those).

Built from the API's answers as plain dicts (``TestCase``, ``TestCaseResult``,
``CalculateCoverageResponse``, ``AgentValidationResult``, field names as in the v3 protos).
Fail closed: a test case with no result, an error, or a result that is neither PASSED nor
FAILED counts as failed — never as skipped. The one exception is an offline run: the stand-in
says per turn which assertions it could not decide and why (``UNDECIDED_KEY`` in the turn's
``diagnostic_info``, one cause of ``CAUSES``); a test with no decided difference and such an
assertion is ``undecided``, never passed.

The result file is tamper-evident the way approvals are: ``result_hash`` is a sha256 over the
canonical JSON of everything else, and ``signature`` an HMAC-SHA256 of that hash with
``CXOPS_APPROVAL_KEY`` when the key is set where the tests ran.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cxops.errors import ValidationError
from cxops.model.snapshot import canonical_json

FORMAT = "cxops-test-results"
VERSION = 2
Data = Mapping[str, Any]

PASSED, FAILED, ERROR, UNDECIDED = "passed", "failed", "error", "undecided"
# The assertions of a conversation turn: each one the expected turn names.
ASSERTIONS = ("page", "intent", "parameters", "messages")
# Why the stand-in could not decide an assertion: the closed list of docs/test-results.md.
CAUSES = {
    "webhook": "a webhook the stand-in cannot call and no fixture answers (or what it may have set)",
    "llm": "a playbook, generator or generative fallback answer (an LLM)",
    "system-entity": "a system entity outside the stand-in's subset",
    "nlu": "an intent match the matcher cannot call (no training phrase, no clear margin)",
    "relative-time": "a date or time relative to when the test case was recorded, with no recorded time",
    "unsupported": "a condition or construct outside the stand-in's subset",
}
# Where the stand-in puts its undecided assertions: VirtualAgentOutput.diagnostic_info, a Struct
# CX fills with its own diagnostics; this key is read only from offline runs.
UNDECIDED_KEY = "cxops_undecided"


def named_assertions(expected: Data) -> list[str]:
    """The assertions an expected turn (``VirtualAgentOutput`` as a dict) names: only what the
    test case records is compared (parameters: when it records session parameters)."""
    out = []
    if _has_name(expected.get("current_page")):
        out.append("page")
    if _has_name(expected.get("triggered_intent")):
        out.append("intent")
    if expected.get("session_parameters"):
        out.append("parameters")
    if expected.get("text_responses"):
        out.append("messages")
    return out


def _has_name(obj: Any) -> bool:
    return isinstance(obj, Mapping) and bool(obj.get("name") or obj.get("display_name"))


COVERAGE_KINDS = ("intent", "transition", "route_group")


@dataclass(frozen=True)
class TurnView:
    """One side (expected or actual) of a conversation turn, by display names."""

    page: str | None = None
    intent: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    messages: tuple[str, ...] = ()

    def data(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "intent": self.intent,
            "parameters": dict(self.parameters),
            "messages": list(self.messages),
        }


@dataclass(frozen=True)
class Difference:
    """The first turn of a test case that did not go as the test case says."""

    turn: int  # 1-based
    user_input: str
    kinds: tuple[tuple[str, str], ...]  # (TestRunDifference.type, description)
    expected: TurnView
    actual: TurnView

    def data(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "user_input": self.user_input,
            "differences": [{"type": t, "description": d} for t, d in self.kinds],
            "expected": self.expected.data(),
            "actual": self.actual.data(),
        }


@dataclass(frozen=True)
class CaseResult:
    name: str
    tags: tuple[str, ...]
    outcome: str  # passed | failed | error | undecided
    turns: int
    difference: Difference | None = None
    error: str | None = None
    # cause -> how many assertions it left undecided; decided assertions counted apart.
    undecided: Mapping[str, int] = field(default_factory=dict)
    decided: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == PASSED

    def data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tags": list(self.tags),
            "outcome": self.outcome,
            "turns": self.turns,
            "first_difference": None if self.difference is None else self.difference.data(),
            "error": self.error,
            "assertions": {"decided": self.decided, "undecided": dict(sorted(self.undecided.items()))},
        }


@dataclass(frozen=True)
class Coverage:
    kind: str  # intent | transition | route_group
    score: float
    total: int
    uncovered: tuple[str, ...]
    minimum: float | None = None

    @property
    def ok(self) -> bool:
        return self.minimum is None or self.score + 1e-9 >= self.minimum

    def data(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "score": round(self.score, 4),
            "minimum": self.minimum,
            "total": self.total,
            "uncovered": list(self.uncovered),
        }


@dataclass(frozen=True)
class Finding:
    """A message of Google's agent validation (``ValidationMessage``)."""

    language: str
    severity: str  # INFO | WARNING | ERROR
    resource: str
    detail: str

    def data(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "severity": self.severity,
            "resource": self.resource,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class TestRun:
    """What one ``cxops test`` found, and what it vouches for."""

    __test__ = False  # not a pytest class

    target: str
    mode: str  # live | offline
    agent: str  # the tree's name
    created_at: str
    content_fingerprint: str
    # Stage -> the fingerprint of that stage's desired state made of the content tested.
    desired_fingerprints: Mapping[str, str]
    cases: tuple[CaseResult, ...]
    environment: str | None = None
    tags: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    coverage: tuple[Coverage, ...] = ()
    validation: tuple[Finding, ...] = ()
    # False: undecided tests do not fail the run (`cxops test --offline` without --require-decided).
    require_decided: bool = True
    signature: str | None = None

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        """Failed or could not run (decided failures); undecided ones too where they must decide."""
        return tuple(
            c
            for c in self.cases
            if c.outcome in (FAILED, ERROR) or (self.require_decided and c.outcome == UNDECIDED)
        )

    @property
    def undecided(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if c.outcome == UNDECIDED)

    @property
    def validation_errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.validation if f.severity == "ERROR")

    @property
    def passed(self) -> bool:
        return (
            bool(self.cases)
            and not self.failed
            and all(c.ok for c in self.coverage)
            and not self.validation_errors
        )

    @property
    def selected(self) -> bool:
        """Only some test cases ran (``--tag`` / ``--only``)."""
        return bool(self.tags or self.only)

    def summary(self) -> dict[str, int]:
        return {
            "total": len(self.cases),
            "passed": sum(c.outcome == PASSED for c in self.cases),
            "failed": sum(c.outcome == FAILED for c in self.cases),
            "errors": sum(c.outcome == ERROR for c in self.cases),
            "undecided": len(self.undecided),
        }

    def causes(self) -> dict[str, int]:
        """Cause -> how many undecided tests it holds back (a test counts under each of its causes)."""
        out: dict[str, int] = {}
        for case in self.undecided:
            for cause in case.undecided:
                out[cause] = out.get(cause, 0) + 1
        return dict(sorted(out.items()))

    def assertion_counts(self) -> dict[str, int]:
        return {
            "decided": sum(c.decided for c in self.cases),
            "undecided": sum(sum(c.undecided.values()) for c in self.cases),
        }

    def body(self) -> dict[str, Any]:
        """Everything the result hash covers."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "target": self.target,
            "mode": self.mode,
            "agent": self.agent,
            "environment": self.environment,
            "created_at": self.created_at,
            "content_fingerprint": self.content_fingerprint,
            "desired_fingerprints": dict(sorted(self.desired_fingerprints.items())),
            "selection": {"tags": list(self.tags), "only": list(self.only)},
            "passed": self.passed,
            "require_decided": self.require_decided,
            "summary": self.summary(),
            "undecided_causes": self.causes(),
            "assertions": self.assertion_counts(),
            "tests": [c.data() for c in self.cases],
            "coverage": [c.data() for c in self.coverage],
            "validation": [f.data() for f in self.validation],
        }

    @property
    def hash(self) -> str:
        return body_hash(self.body())

    def to_json(self) -> str:
        data = self.body()
        data["result_hash"] = self.hash
        data["signature"] = self.signature
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def body_hash(body: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(dict(body))).hexdigest()


def sign(key: str, result_hash: str) -> str:
    return hmac.new(key.encode(), result_hash.encode(), hashlib.sha256).hexdigest()


def signature_valid(key: str, data: Data) -> bool:
    found = data.get("signature")
    return isinstance(found, str) and hmac.compare_digest(found, sign(key, str(data.get("result_hash"))))


def intact(data: Data) -> bool:
    """The file is as ``cxops test`` wrote it: its hash covers exactly its content."""
    body = {k: v for k, v in data.items() if k not in ("result_hash", "signature")}
    return body_hash(body) == data.get("result_hash")


# -- building the value from the API's answers -------------------------------------------------


def _name(obj: Any, names: Mapping[str, str]) -> str | None:
    if not isinstance(obj, Mapping) or not (obj.get("name") or obj.get("display_name")):
        return None
    shown = obj.get("display_name") or names.get(str(obj.get("name")))
    if shown:
        return str(shown)
    return str(obj.get("name")).rsplit("/", 1)[-1]


def _page(obj: Any, names: Mapping[str, str]) -> str | None:
    page = _name(obj, names)
    if page is None:
        return None
    # Page names repeat across flows ("Start Page"): say which flow.
    full = str(obj.get("name", ""))
    flow = obj.get("flow") or names.get(full.split("/pages/")[0]) if "/pages/" in full else obj.get("flow")
    return f"{flow} > {page}" if flow else page


def user_text(turn: Data) -> str:
    query = turn.get("user_input", {}).get("input", {})
    if "text" in query:
        return str(query["text"].get("text", ""))
    if "event" in query:
        return f"event {query['event'].get('event', '')}"
    if "dtmf" in query:
        return f"dtmf {query['dtmf'].get('digits', '')}"
    return "(no input)"


def view(turn: Data, names: Mapping[str, str]) -> TurnView:
    out = turn.get("virtual_agent_output", {})
    messages = tuple(" ".join(str(t) for t in m.get("text", [])) for m in out.get("text_responses", []))
    return TurnView(
        page=_page(out.get("current_page"), names),
        intent=_name(out.get("triggered_intent"), names),
        parameters=dict(out.get("session_parameters", {})),
        messages=messages,
    )


def case_result(
    case: Data, result: Data | None, names: Mapping[str, str], missing: str, offline: bool = False
) -> CaseResult:
    """One test case's outcome from its ``TestCaseResult`` (``None``: it did not run, ``missing``
    says why); ``offline``: the stand-in's undecided assertions count (a live agent's
    diagnostics are CX's own and decide nothing)."""
    expected_turns = list(case.get("test_case_conversation_turns", []))
    name = str(case.get("display_name", case.get("name", "?")))
    tags = tuple(str(t) for t in case.get("tags", []))
    if result is None:
        return CaseResult(name, tags, ERROR, len(expected_turns), error=missing)
    turns = list(result.get("conversation_turns", []))
    verdict = result.get("test_result", "TEST_RESULT_UNSPECIFIED")
    undecided: dict[str, int] = {}
    decided = 0
    for i, turn in enumerate(turns):
        output = turn.get("virtual_agent_output", {})
        named = (
            named_assertions(expected_turns[i].get("virtual_agent_output", {}))
            if i < len(expected_turns)
            else []
        )
        held = _undecided(output) if offline else {}
        for assertion in named:
            causes = held.get(assertion)
            if causes:
                undecided[causes[0]] = undecided.get(causes[0], 0) + 1
            else:
                decided += 1
    if offline:
        # Turns the stand-in did not reach (after an undecided error) are undecided as a whole.
        for expected in expected_turns[len(turns) :]:
            for _ in named_assertions(expected.get("virtual_agent_output", {})):
                cause = next(iter(undecided), "unsupported")
                undecided[cause] = undecided.get(cause, 0) + 1
    if offline and not undecided and verdict == "TEST_RESULT_UNSPECIFIED":
        # A test case that asserts nothing, on turns the stand-in could not run (an agent that
        # starts with a playbook): undecided for the causes its turns name.
        for turn in turns:
            for cause in {
                c for causes in _undecided(turn.get("virtual_agent_output", {})).values() for c in causes
            }:
                undecided[cause] = undecided.get(cause, 0) + 1
    for i, turn in enumerate(turns):
        output = turn.get("virtual_agent_output", {})
        status = output.get("status", {})
        kinds = tuple(
            (str(d.get("type_", d.get("type", "DIFF_TYPE_UNSPECIFIED"))), str(d.get("description", "")))
            for d in output.get("differences", [])
        )
        if kinds or status.get("code"):
            expected = view(expected_turns[i], names) if i < len(expected_turns) else TurnView()
            difference = Difference(i + 1, user_text(turn), kinds, expected, view(turn, names))
            error = f"turn {i + 1}: {status.get('message', 'failed')}" if status.get("code") else None
            outcome = ERROR if error else FAILED
            return CaseResult(name, tags, outcome, len(expected_turns), difference, error, undecided, decided)
    if verdict == "PASSED" and not undecided:
        return CaseResult(name, tags, PASSED, len(expected_turns), decided=decided)
    if undecided and verdict != "FAILED":
        return CaseResult(name, tags, UNDECIDED, len(expected_turns), undecided=undecided, decided=decided)
    if verdict == "FAILED":
        return CaseResult(
            name,
            tags,
            FAILED,
            len(expected_turns),
            error="failed, with no difference reported",
            undecided=undecided,
            decided=decided,
        )
    return CaseResult(name, tags, ERROR, len(expected_turns), error=f"no verdict ({verdict})")


def _undecided(output: Data) -> dict[str, list[str]]:
    """The stand-in's undecided assertions of a turn: assertion -> causes (known causes only)."""
    found = output.get("diagnostic_info", {})
    held = found.get(UNDECIDED_KEY, {}) if isinstance(found, Mapping) else {}
    if not isinstance(held, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for assertion, causes in held.items():
        if assertion in ASSERTIONS and isinstance(causes, list):
            known = [str(c) for c in causes if str(c) in CAUSES]
            if known:
                out[str(assertion)] = known
    return out


def coverage(kind: str, data: Data, names: Mapping[str, str], minimum: float | None) -> Coverage:
    """One ``CalculateCoverageResponse`` part: ``intent_coverage``, ``transition_coverage`` or
    ``route_group_coverage``, with what it found uncovered by name."""
    score = float(data.get("coverage_score", 0.0))
    uncovered: list[str] = []
    total = 0
    if kind == "intent":
        for item in data.get("intents", []):
            total += 1
            if not item.get("covered"):
                intent = str(item.get("intent", ""))
                uncovered.append(names.get(intent, intent.rsplit("/", 1)[-1]))
    elif kind == "transition":
        for item in data.get("transitions", []):
            total += 1
            if not item.get("covered"):
                uncovered.append(_transition(item, names))
    else:
        for group in data.get("coverages", []):
            label = _name(group.get("route_group"), names) or "?"
            for i, item in enumerate(group.get("transitions", [])):
                total += 1
                if not item.get("covered"):
                    route = item.get("transition_route", {})
                    uncovered.append(f"{label} route {i + 1}{_route_label(route, names)}")
    return Coverage(kind, score, total, tuple(uncovered), minimum)


def _node(node: Any, names: Mapping[str, str]) -> str:
    if not isinstance(node, Mapping):
        return "?"
    if node.get("page"):
        return _page(node["page"], names) or "?"
    return _name(node.get("flow"), names) or "?"


def _route_label(route: Data, names: Mapping[str, str]) -> str:
    parts = []
    if route.get("intent"):
        intent = str(route["intent"])
        parts.append(f"intent {names.get(intent, intent.rsplit('/', 1)[-1])}")
    if route.get("condition"):
        parts.append(f"condition {route['condition']}")
    return f" ({', '.join(parts)})" if parts else ""


def _transition(item: Data, names: Mapping[str, str]) -> str:
    how = _route_label(item.get("transition_route", {}), names)
    if item.get("event_handler"):
        how = f" (event {item['event_handler'].get('event', '?')})"
    return f"{_node(item.get('source'), names)} -> {_node(item.get('target'), names)}{how}"


def findings(language: str, result: Data) -> list[Finding]:
    """The messages of an ``AgentValidationResult``, flow by flow."""
    out = []
    for flow in result.get("flow_validation_results", []):
        for message in flow.get("validation_messages", []):
            named = [str(r.get("display_name") or r.get("name")) for r in message.get("resource_names", [])]
            resource = ", ".join(named or [str(r) for r in message.get("resources", [])]) or str(
                message.get("resource_type", "")
            )
            out.append(
                Finding(
                    language,
                    str(message.get("severity", "SEVERITY_UNSPECIFIED")),
                    resource,
                    str(message.get("detail", "")),
                )
            )
    return out


def parse_minimums(text: str | None) -> dict[str, float]:
    """``intent=0.8,transition=0.6`` -> ``{"intent": 0.8, "transition": 0.6}``."""
    out: dict[str, float] = {}
    if not text:
        return out
    for part in text.split(","):
        kind, eq, value = part.strip().partition("=")
        kind = kind.strip().replace("-", "_")
        if not eq or kind not in COVERAGE_KINDS:
            raise ValidationError(
                f"--min-coverage {part.strip()!r}: write TYPE=SHARE with TYPE one of "
                f"{', '.join(COVERAGE_KINDS)}, e.g. intent=0.8,transition=0.6"
            )
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not 0.0 <= share <= 1.0:
            raise ValidationError(f"--min-coverage {kind}: {value.strip()!r} is not a share between 0 and 1")
        out[kind] = share
    return out


def select(cases: Iterable[Data], tags: Iterable[str], only: Iterable[str]) -> list[Data]:
    """Test cases with any of ``tags`` (``#`` optional) and, given ``only``, those display names."""
    want_tags = {t if t.startswith("#") else f"#{t}" for t in tags}
    want_names = set(only)
    chosen = []
    for case in cases:
        if want_tags and not want_tags & set(case.get("tags", [])):
            continue
        if want_names and case.get("display_name") not in want_names:
            continue
        chosen.append(case)
    missing = want_names - {str(c.get("display_name")) for c in chosen}
    if missing:
        raise ValidationError(f"--only: no test case named {sorted(missing)[0]!r} (among the selected)")
    return chosen


# -- reading a result file -------------------------------------------------------------------


def from_data(data: Data, where: str) -> TestRun:
    """A result file's content back as a value (for the gate and re-rendering)."""
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValidationError(f"{where}: not a cxops test result file ({FORMAT} version {VERSION})")
    try:
        cases = tuple(
            CaseResult(
                str(c["name"]),
                tuple(c.get("tags", [])),
                str(c["outcome"]),
                int(c.get("turns", 0)),
                _difference(c.get("first_difference")),
                c.get("error"),
                {str(k): int(v) for k, v in dict(c.get("assertions", {}).get("undecided", {})).items()},
                int(c.get("assertions", {}).get("decided", 0)),
            )
            for c in data["tests"]
        )
        return TestRun(
            target=str(data["target"]),
            mode=str(data["mode"]),
            agent=str(data["agent"]),
            created_at=str(data["created_at"]),
            content_fingerprint=str(data["content_fingerprint"]),
            desired_fingerprints={str(k): str(v) for k, v in dict(data["desired_fingerprints"]).items()},
            cases=cases,
            environment=data.get("environment"),
            tags=tuple(data["selection"]["tags"]),
            only=tuple(data["selection"]["only"]),
            coverage=tuple(
                Coverage(
                    str(c["type"]),
                    float(c["score"]),
                    int(c["total"]),
                    tuple(c["uncovered"]),
                    c.get("minimum"),
                )
                for c in data.get("coverage", [])
            ),
            validation=tuple(
                Finding(str(f["language"]), str(f["severity"]), str(f["resource"]), str(f["detail"]))
                for f in data.get("validation", [])
            ),
            require_decided=bool(data.get("require_decided", True)),
            signature=data.get("signature"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValidationError(
            f"{where}: a test result file with a missing or malformed field ({err})"
        ) from None


def _difference(data: Any) -> Difference | None:
    if not data:
        return None

    def side(d: Data) -> TurnView:
        return TurnView(
            d.get("page"), d.get("intent"), dict(d.get("parameters", {})), tuple(d.get("messages", []))
        )

    return Difference(
        int(data["turn"]),
        str(data["user_input"]),
        tuple((str(x["type"]), str(x["description"])) for x in data.get("differences", [])),
        side(data["expected"]),
        side(data["actual"]),
    )
