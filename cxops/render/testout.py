"""`cxops test` results as text (a terminal or CI log), markdown (the PR comment), JSON (the result
file, docs/test-results.md) and JUnit XML (GitHub's test reporters): pure functions of a TestRun."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from cxops.core.testresults import ERROR, PASSED, UNDECIDED, CaseResult, Difference, TestRun, TurnView

_MARK = {PASSED: "PASS", "failed": "FAIL", ERROR: "ERROR", UNDECIDED: "UNDECIDED"}


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else value


def difference_lines(diff: Difference) -> list[str]:
    """Expected vs actual of the first turn that differs, only the parts that differ (all when
    the run did not say which)."""
    kinds = {t for t, _ in diff.kinds}
    everything = not kinds - {"DIFF_TYPE_UNSPECIFIED"}
    exp, act = diff.expected, diff.actual
    # The run's own descriptions stay in the JSON; these lines say the same by field.
    lines = [f"turn {diff.turn}: user says {diff.user_input!r}"]

    def pair(what: str, expected: Any, actual: Any) -> None:
        lines.append(f"{what}: expected {_value(expected)}, got {_value(actual)}")

    if everything or "PAGE" in kinds or "FLOW" in kinds:
        pair("page", exp.page, act.page)
    if everything or "INTENT" in kinds:
        pair("intent", exp.intent, act.intent)
    if everything or "PARAMETERS" in kinds:
        wrong = {k: v for k, v in exp.parameters.items() if act.parameters.get(k) != v}
        pair("parameters", wrong, {k: act.parameters.get(k) for k in wrong})
    if everything or "UTTERANCE" in kinds:
        pair("messages", list(exp.messages), list(act.messages))
    return lines


def _line(case: CaseResult) -> str:
    tags = f" [{' '.join(case.tags)}]" if case.tags else ""
    return f"{_MARK.get(case.outcome, case.outcome.upper()):5} {case.name}{tags}"


def _summary(run: TestRun) -> str:
    s = run.summary()
    where = f"{run.target} (live{', environment ' + run.environment if run.environment else ''})"
    if run.mode == "offline":
        where = f"{run.target} (offline, in the stand-in)"
    verdict = "passed" if run.passed else "FAILED"
    undecided = ""
    if s["undecided"]:
        held = ", ".join(f"{cause} {n}" for cause, n in run.causes().items())
        rule = "failing: --require-decided" if run.require_decided else "not failing"
        undecided = f", {s['undecided']} undecided ({held}; {rule})"
    return (
        f"{s['passed']} of {s['total']} test case(s) passed on {where}"
        f" ({s['failed']} failed, {s['errors']} could not run{undecided}): {verdict}"
    )


def _undecided_line(case: CaseResult) -> str:
    held = ", ".join(f"{cause} {n}" for cause, n in case.undecided.items())
    return f"undecided assertions: {held} (decided: {case.decided})"


def render_text(run: TestRun) -> str:
    lines: list[str] = []
    for case in run.cases:
        lines.append(_line(case))
        if case.error:
            lines.append(f"      {case.error}")
        if case.difference is not None:
            lines += [f"      {line}" for line in difference_lines(case.difference)]
        if case.outcome == UNDECIDED:
            lines.append(f"      {_undecided_line(case)}")
    for cov in run.coverage:
        floor = f" (minimum {cov.minimum:.0%})" if cov.minimum is not None else ""
        state = "" if cov.ok else " BELOW MINIMUM"
        lines.append(f"coverage {cov.kind}: {cov.score:.0%} of {cov.total}{floor}{state}")
        lines += [f"      not covered: {u}" for u in cov.uncovered]
    for finding in run.validation:
        lines.append(
            f"validation {finding.severity} [{finding.language}] {finding.resource}: {finding.detail}"
        )
    lines.append(_summary(run))
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _side(view: TurnView) -> str:
    return _md(
        f"page {view.page}, intent {view.intent}, parameters {_value(dict(view.parameters))}, "
        f"messages {_value(list(view.messages))}"
    )


def render_markdown(run: TestRun) -> str:
    s = run.summary()
    icon = "✅" if run.passed else "❌"
    out = [
        f"### {icon} cxops test: {_md(_summary(run))}",
        "",
        "| test case | result | turns |",
        "|---|---|---|",
    ]
    out += [f"| {_md(c.name)} | {_MARK.get(c.outcome, c.outcome)} | {c.turns} |" for c in run.cases]
    failed = run.failed
    if failed:
        out.append("")
        for case in failed:
            out.append(f"<details><summary>{_md(case.name)}: {case.outcome}</summary>")
            out.append("")
            if case.error:
                out.append(f"- {_md(case.error)}")
            if case.difference is not None:
                out += [f"- {_md(line)}" for line in difference_lines(case.difference)]
                out.append(f"- expected: {_side(case.difference.expected)}")
                out.append(f"- actual: {_side(case.difference.actual)}")
            out += ["", "</details>"]
    if run.undecided:
        out += ["", "| undecided because | test cases |", "|---|---|"]
        out += [f"| {cause} | {n} |" for cause, n in run.causes().items()]
    if run.coverage:
        out += ["", "| coverage | score | minimum | not covered |", "|---|---|---|---|"]
        for cov in run.coverage:
            floor = f"{cov.minimum:.0%}" if cov.minimum is not None else "—"
            out.append(f"| {cov.kind} | {cov.score:.0%} of {cov.total} | {floor} | {len(cov.uncovered)} |")
    errors = run.validation_errors
    if run.validation:
        out += [
            "",
            f"Validation: {len(errors)} error(s), {len(run.validation) - len(errors)} other message(s)",
        ]
        out += [
            f"- {f.severity} [{f.language}] {_md(f.resource)}: {_md(f.detail)}" for f in run.validation[:20]
        ]
    out.append("")
    out.append(f"<sub>{s['total']} test case(s); content {run.content_fingerprint[:19]}…</sub>")
    return "\n".join(out) + "\n"


def render_json(run: TestRun) -> str:
    return run.to_json()


def render_junit(run: TestRun) -> str:
    """One ``<testsuite>`` of the run, one ``<testcase>`` per test case; a test that could not run
    is an ``<error>``, never ``<skipped>``; an undecided one is ``<skipped>`` with its causes
    (a ``<failure>`` where the run requires decided tests)."""
    s = run.summary()
    suite = ET.Element(
        "testsuite",
        {
            "name": f"cxops test {run.target}",
            "tests": str(s["total"]),
            "failures": str(s["failed"] + (s["undecided"] if run.require_decided else 0)),
            "errors": str(s["errors"]),
            "skipped": str(0 if run.require_decided else s["undecided"]),
            "timestamp": run.created_at,
        },
    )
    for case in run.cases:
        element = ET.SubElement(suite, "testcase", {"classname": run.agent, "name": case.name})
        if case.ok:
            continue
        if case.outcome == UNDECIDED:
            tag = "failure" if run.require_decided else "skipped"
            ET.SubElement(element, tag, {"message": _undecided_line(case)})
            continue
        detail = list(difference_lines(case.difference)) if case.difference is not None else []
        message = case.error or (detail[0] if detail else "failed")
        tag = "error" if case.outcome == ERROR else "failure"
        ET.SubElement(element, tag, {"message": message}).text = "\n".join([message, *detail])
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
