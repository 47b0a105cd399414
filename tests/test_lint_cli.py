"""`cxops lint` on the sample agent: exit codes, cxops.yaml, inline ignores, baselines, and the
JSON, markdown and SARIF outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxops.cli.main import main

SAMPLE = Path(__file__).resolve().parents[1] / "agents" / "order-desk"
UNUSED = "agents/order-desk/intents/return.status.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    return tmp_path


def lint(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "lint", "order-desk", *args])


def findings(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    capsys.readouterr()
    lint(repo, "--format", "json", *args)
    data: list[dict[str, object]] = json.loads(capsys.readouterr().out)["findings"]
    return data


def test_warnings_pass_by_default_and_fail_at_fail_on_warning(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lint(repo) == 0
    captured = capsys.readouterr()
    assert "lint order-desk: 53 warning(s), 16 note(s)" in captured.out
    # file:line: key: severity [rule] message
    assert (
        "agents/order-desk/intents/delivery.provide_date.yaml:1: display_name: warning "
        "[references/unused-intent] intent 'delivery.provide_date' is used by no route"
    ) in captured.err
    assert lint(repo, "--fail-on", "warning") == 1


def test_an_error_fails(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    webhook = repo / "agents/order-desk/webhooks/orders-api.yaml"
    webhook.write_text(webhook.read_text().replace("seconds: 10", "seconds: 45"), encoding="utf-8")
    assert lint(repo) == 1
    assert "webhooks/orders-api.yaml:6: timeout: error [safety/webhook-timeout]" in capsys.readouterr().err


def test_configuration_turns_rules_off_and_sets_thresholds(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "cxops.yaml").write_text(
        "lint:\n  fail_on: warning\n  rules:\n    references/unused-intent: off\n"
        "    safety/unhandled-webhook-error: off\n"
        "    nlu/few-training-phrases: {severity: note, min_phrases: 5}\n",
        encoding="utf-8",
    )
    found = findings(repo, capsys)
    rules = {f["rule"] for f in found}
    assert "references/unused-intent" not in rules
    few = [f for f in found if f["rule"] == "nlu/few-training-phrases"]
    assert few and all(f["severity"] == "note" and "fewer than 5" in str(f["message"]) for f in few)
    assert lint(repo) == 0  # only notes left, fail_on warning


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "lint:\n  rules:\n    nlu/few-trainig-phrases: off\n",
            "cxops.yaml:3: lint.rules.nlu/few-trainig-phrases: unknown key 'nlu/few-trainig-phrases'; "
            "did you mean 'nlu/few-training-phrases'?",
        ),
        (
            "lint:\n  fail_on: warn\n",
            "cxops.yaml:2: lint.fail_on: must be one of note, warning, error, not 'warn'",
        ),
        (
            "lint:\n  rules:\n    nlu/few-training-phrases: {min_phrase: 3}\n",
            "cxops.yaml:3: lint.rules.nlu/few-training-phrases.min_phrase: unknown key 'min_phrase'; "
            "did you mean 'min_phrases'?",
        ),
        ("lnt: {}\n", "cxops.yaml:1: lnt: unknown key 'lnt'; did you mean 'lint'?"),
    ],
)
def test_a_configuration_mistake_is_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (repo / "cxops.yaml").write_text(text, encoding="utf-8")
    assert lint(repo, "--sarif", str(repo / "out.sarif")) == 1
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not (repo / "out.sarif").exists()


def test_an_inline_comment_ignores_one_finding(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    intent = repo / "agents/order-desk/intents/delivery.provide_date.yaml"
    before = findings(repo, capsys)
    intent.write_text(
        "# cxops: ignore[references/unused-intent] filled by forms\n" + intent.read_text(), encoding="utf-8"
    )
    after = findings(repo, capsys)
    gone = [f for f in before if f not in after and f["rule"] != "nlu/few-training-phrases"]
    assert [f["message"] for f in gone] == ["intent 'delivery.provide_date' is used by no route"]
    lint(repo)
    assert "(1 ignored inline)" in capsys.readouterr().out


def test_a_baseline_keeps_old_findings_from_failing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = repo / "lint-baseline.json"
    assert lint(repo, "--fail-on", "warning", "--baseline", str(base), "--write-baseline") == 0
    assert len(json.loads(base.read_text())["findings"]) == 69
    assert lint(repo, "--fail-on", "warning", "--baseline", str(base)) == 0
    # Lines move above an old finding: still known.
    intent = repo / "agents/order-desk/intents/store.hours.yaml"
    intent.write_text("# store hours, asked a lot\n" + intent.read_text(), encoding="utf-8")
    assert lint(repo, "--fail-on", "warning", "--baseline", str(base)) == 0
    (repo / "agents/order-desk/intents/bye.yaml").write_text("display_name: bye\n", encoding="utf-8")
    capsys.readouterr()
    assert lint(repo, "--fail-on", "warning", "--baseline", str(base)) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        "agents/order-desk/intents/bye.yaml:1: display_name: warning [references/unused-intent] "
        "intent 'bye' is used by no route"
    )
    assert "(69 in the baseline)" in captured.out


def test_a_missing_or_broken_baseline_is_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint(repo, "--baseline", str(repo / "none.json")) == 1
    assert "none.json: no such baseline file" in capsys.readouterr().err
    (repo / "b.json").write_text("[]", encoding="utf-8")
    assert lint(repo, "--baseline", str(repo / "b.json")) == 1
    assert "not a cxops lint baseline" in capsys.readouterr().err
    assert lint(repo, "--write-baseline") == 1
    assert "--write-baseline needs --baseline FILE" in capsys.readouterr().err


def test_sarif_for_code_scanning(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = repo / "lint.sarif"
    assert lint(repo, "--sarif", str(out)) == 0
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 69
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        [where] = result["locations"]
        location = where["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("agents/order-desk/")
        assert location["region"]["startLine"] >= 1
        assert result["partialFingerprints"]["cxopsLint/v1"]
    for rule in rules:
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_markdown_is_a_table(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint(repo, "--format", "markdown") == 0
    text = capsys.readouterr().out
    assert text.startswith("### cxops lint order-desk: 53 warning(s), 16 note(s)")
    assert (
        "| 🟡 | `references/unused-intent` | `agents/order-desk/intents/return.provide_reason.yaml:1` |"
        in text
    )


def test_a_tree_of_the_wrong_shape_is_refused_in_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = repo / "agents/order-desk/flows/Order Status/pages/Collect Order Number.yaml"
    text = page.read_text(encoding="utf-8")
    head, _, rest = text.partition("form:\n")
    tail = rest[rest.index("\ntransition_routes:") + 1 :]
    page.write_text(f"{head}form:\n  parameters: true\n{tail}", encoding="utf-8")
    capsys.readouterr()
    assert lint(repo, "--sarif", str(repo / "out.sarif")) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: cannot lint agents/order-desk: agents/order-desk/flows/Order Status/pages/"
        "Collect Order Number.yaml:3: form.parameters: expected a list, got true/false"
    )
    assert not (repo / "out.sarif").exists()


def _key_lines(text: str) -> list[int]:
    """Lines that hold `key: value` (a scalar or flow value on the key's own line)."""
    return [
        number
        for number, line in enumerate(text.splitlines())
        if ": " in line and line.lstrip(" -").partition(":")[0].isidentifier()
    ]


@pytest.mark.parametrize("wrong", ["true", "7", "[]", "{x: 1}"])
def test_no_wrong_value_makes_lint_crash(repo: Path, capsys: pytest.CaptureFixture[str], wrong: str) -> None:
    """Every `key: value` line of a page, an intent and the agent file given a value of another
    shape: lint either lints or refuses in one line, never an internal error."""
    files = [
        repo / "agents/order-desk/flows/Order Status/pages/Collect Order Number.yaml",
        repo / "agents/order-desk/intents/delivery.provide_date.yaml",
        repo / "agents/order-desk/agent.yaml",
    ]
    tried = 0
    for path in files:
        original = path.read_text(encoding="utf-8")
        lines = original.splitlines()
        for number in _key_lines(original):
            key, _, _ = lines[number].partition(": ")
            path.write_text("\n".join([*lines[:number], f"{key}: {wrong}", *lines[number + 1 :]]) + "\n")
            capsys.readouterr()
            code = lint(repo)
            err = capsys.readouterr().err
            assert "internal error" not in err, (path.name, lines[number], err)
            assert code in (0, 1)
            tried += 1
        path.write_text(original, encoding="utf-8")
    assert tried > 20
