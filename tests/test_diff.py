"""`cxops diff`: what changed between trees, packages and stages, matched by identity, not position."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.core.diff import compare
from cxops.fake import FakeCX
from cxops.model.snapshot import Key, Snapshot
from cxops.package.reader import snapshot_from_package
from cxops.render.markdown import escape
from cxops.render.markdown import render as markdown
from cxops.render.text import SIGN, render
from cxops.repo.tree import write_tree
from cxops.workflows import backups
from tests.corpus import CORPUS, read_export

AGENT = "rohitkumar404__flight-booking-repo"  # en, es, hi; flows, pages, intents, test cases


@pytest.fixture
def base() -> Snapshot:
    if not (CORPUS / AGENT).is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return snapshot_from_package(read_export(CORPUS / AGENT))[0]


def edited(base: Snapshot) -> Snapshot:
    after = Snapshot(resources=copy.deepcopy(base.resources))
    intent = after.resources[Key("intent", "", "main.flight_status")]
    intent["training_phrases"]["en"].append("Has flight [BA12](PNR_Number) left yet?")
    intent["training_phrases"]["es"].remove("estado del vuelo")
    flow = after.resources[Key("flow", "", "Default Start Flow")]
    routes = flow["transition_routes"]
    routes[0], routes[1] = routes[1], routes[0]
    for key in [k for k in after.resources if k.name == "Upgrade" or k.scope == "Upgrade"]:
        del after.resources[key]
    after.resources[Key("test_case", "", "new case")] = {"display_name": "new case"}
    page = after.resources[Key("page", "Default Start Flow", "Confirm trip")]
    route = page["transition_routes"][0]
    route["trigger_fulfillment"]["messages"]["en"][0]["text"]["text"] = ["Great, you are booked!"]
    route["target_page"] = "END_SESSION"
    entity = next(b for k, b in after.resources.items() if k.kind == "entity_type" and b.get("entities"))
    entity["entities"]["en"][0]["synonyms"].append("brand-new synonym")
    return after


def test_changes_are_named_by_identity(base: Snapshot) -> None:
    diff = compare(base, edited(base), "a", "b")
    out = render(diff)
    assert '    + training_phrases.en: "Has flight [BA12](PNR_Number) left yet?"' in out
    assert '    - training_phrases.es: "estado del vuelo"' in out
    assert "~ transition_routes route[intent=Default Welcome Intent]: moved from position 0 to 1" in out
    assert "- flow Upgrade" in out and "+ test_case new case" in out
    assert '+ synonyms: "brand-new synonym"' in out
    # A nested fulfillment reads below its route, not as one long path per line.
    assert (
        "    @ transition_routes route[intent=confirmation.yes]\n"
        '        - trigger_fulfillment.messages.en[0].text.text: "Great, your flight is booked!"\n'
        '        + trigger_fulfillment.messages.en[0].text.text: "Great, you are booked!"\n'
        '        ~ target_page: "Anything else?" -> "END_SESSION"\n'
    ) in out
    assert "\x1b[" not in out
    coloured = render(diff, color=True)
    assert (
        '\x1b[32m    + training_phrases.en: "Has flight' in coloured and "\x1b[31m- flow Upgrade" in coloured
    )
    assert diff.summary()["flow"] == {"add": 0, "remove": 1, "change": 1}


def test_unchanged_resources_are_not_compared_in_depth(base: Snapshot) -> None:
    after = Snapshot(resources=copy.deepcopy(base.resources))
    assert not compare(base, after)
    webhook_free = Snapshot(resources=dict(base.resources))
    key = next(k for k in base.resources if k.kind == "intent")
    webhook_free.resources[key] = {**base.resources[key], "priority": 1}
    [change] = compare(base, webhook_free).changes
    assert change.key == key and [f.path for f in change.fields] == [("priority",)]


def test_cli_exit_codes(base: Snapshot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path / "agents" / "a", base)
    write_tree(tmp_path / "agents" / "b", edited(base))
    root = ["--root", str(tmp_path)]
    assert main([*root, "diff", "agents/a", "agents/a"]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main([*root, "diff", "agents/a", "agents/b"]) == 3
    assert "~ intent main.flight_status" in capsys.readouterr().out
    assert main([*root, "diff", "agents/a", str(CORPUS / AGENT)]) == 0  # a tree against its package
    assert main([*root, "diff", "agents/a", "nowhere"]) == 1
    assert "'nowhere' is no stage" in capsys.readouterr().err
    assert main([*root, "diff", "agents/a", "agents/typo"]) == 1  # a path is named as a path
    assert capsys.readouterr().err == "error: 'agents/typo': no such file or folder\n"
    assert main([*root, "diff", "agents/a", "agents"]) == 1
    assert capsys.readouterr().err.startswith("error: 'agents' is no agent tree")
    assert main([*root, "diff", "agents/a", "b"]) == 1  # an agent's name where its tree is meant
    assert capsys.readouterr().err.endswith("; the agent's tree is agents/b\n")


def test_a_stage_compares_without_its_overrides(
    fake: FakeCX, clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = clients.agents.create_agent(
        parent="projects/acme-bots-stg/locations/global",
        agent=cx.Agent(display_name="Orders", default_language_code="en", time_zone="UTC"),
    )
    clients.webhooks.create_webhook(
        parent=agent.name,
        webhook=cx.Webhook(
            display_name="orders-api",
            generic_web_service=cx.Webhook.GenericWebService(uri="https://orders.stg.example.com/cx"),
        ),
    )
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "stg.yaml").write_text(
        f"agent: orders\nproject: acme-bots-stg\nagent_id: {agent.name.rsplit('/', 1)[-1]}\n"
        "overrides:\n  webhooks/orders-api:\n    generic_web_service.uri: https://orders.stg.example.com/cx\n"
    )
    host = ["--root", str(tmp_path), "--emulator-host", fake.address, "-q"]
    assert main([*host, "pull", "stg"]) == 0
    hook = tmp_path / "agents" / "orders" / "webhooks" / "orders-api.yaml"
    assert "example.com" not in hook.read_text()  # the stage's value never reaches the tree
    hook.write_text(
        "display_name: orders-api\ngeneric_web_service:\n  uri: https://orders.dev.example.com/cx\n"
    )
    # The tree says dev's URI, the stage overrides it: that is no difference, listed apart.
    capsys.readouterr()
    assert main([*host[:-1], "diff", "stg", "agents/orders"]) == 0
    out = capsys.readouterr().out
    assert "expected per-stage differences" in out
    assert "stg: overrides.webhooks/orders-api.generic_web_service.uri" in out
    assert main([*host[:-1], "diff", "--raw", "stg", "agents/orders"]) == 3
    assert (
        'generic_web_service.uri: "https://orders.stg.example.com/cx" -> "https://orders.dev.example.com/cx"'
        in capsys.readouterr().out
    )
    hook.write_text("display_name: orders-api\ngeneric_web_service:\n  uri: https://other.example.com/cx\n")
    assert main([*host, "diff", "stg", "agents/orders"]) == 0  # still the stage's own value live
    clients.webhooks.update_webhook(
        webhook=cx.Webhook(
            name=next(iter(clients.webhooks.list_webhooks(parent=agent.name))).name,
            display_name="orders-api",
            generic_web_service=cx.Webhook.GenericWebService(uri="https://drifted.example.com/cx"),
        )
    )
    assert main([*host, "diff", "stg", "agents/orders"]) == 3  # live drifted from the override


def git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@x",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@x",
            "HOME": str(root),
        },
    )


def test_git_refs_are_read_from_objects(
    base: Snapshot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write_tree(tmp_path / "agents" / "flights", base)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first")
    write_tree(tmp_path / "agents" / "flights", edited(base))
    git(tmp_path, "commit", "-q", "-am", "second")
    git(tmp_path, "tag", "v2")
    # The working tree moves on; git: sources do not look at it.
    write_tree(tmp_path / "agents" / "flights", base)
    root = ["--root", str(tmp_path)]
    assert main([*root, "diff", "git:HEAD~1", "git:v2:flights"]) == 3
    out = capsys.readouterr().out
    assert "git:HEAD~1 -> git:v2:flights" in out and "- flow Upgrade" in out
    assert main([*root, "diff", "git:HEAD~1", "agents/flights"]) == 0
    assert main([*root, "diff", "git:nope", "agents/flights"]) == 1
    assert (
        f"error: 'git:nope': no commit 'nope' in the git repository at {tmp_path}" in capsys.readouterr().err
    )
    write_tree(tmp_path / "agents" / "other", base)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "two agents")
    assert main([*root, "diff", "git:HEAD", "agents/flights"]) == 1
    assert "name the agent, git:HEAD:AGENT (agents at HEAD: flights, other)" in capsys.readouterr().err


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_renderers_match_the_golden_files(base: Snapshot, fmt: str) -> None:
    import os

    from cxops.render import jsonout, markdown, text

    renderer = {"text": text.render, "markdown": markdown.render, "json": jsonout.render}[fmt]
    out = renderer(compare(base, edited(base), "agents/flights", "stg"))
    golden = GOLDEN / f"diff.{ {'text': 'txt', 'markdown': 'md', 'json': 'json'}[fmt] }"
    if os.environ.get("CXOPS_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_markdown_stays_under_the_comment_limit_and_counts_what_it_leaves_out(base: Snapshot) -> None:
    from cxops.render import markdown

    empty = Snapshot(resources={k: v for k, v in base.resources.items() if k.kind == "agent"})
    diff = compare(empty, base, "a", "b")
    out = markdown.render(diff, limit=3_000, full_output="the artifact diff.txt")
    assert len(out) <= 3_000
    shown = _shown(out, diff)
    total = len(base.resources) - 1
    assert 0 < shown < total
    assert f"**{total - shown} of {total} resources are not shown**" in out and "the artifact diff.txt" in out


def _shown(out: str, diff: Any) -> int:
    """Resources a markdown diff shows: title lines of its diff block, collapsed sections."""
    return sum(
        1
        for c in diff.changes
        if f"\n{SIGN[c.op]} {c.title}\n" in out or f"</code> {escape(c.title)}</summary>" in out
    )


def test_a_one_line_change_fits_in_a_few_lines(base: Snapshot) -> None:
    # A resource's one change sits on its title line (issue 27: one line per resource touched).
    after = Snapshot(resources=copy.deepcopy(base.resources))
    after.resources[Key("intent", "", "main.flight_status")]["training_phrases"]["en"].append("is it late")
    out = markdown(compare(base, after, "a", "b"))
    assert out.splitlines() == [
        "### cxops diff `a` → `b` · intent: 1 changed",
        "```diff",
        '+ ~ intent main.flight_status · training_phrases.en: "is it late"',
        "```",
    ]
    assert markdown(compare(base, base, "a", "b")) == "### cxops diff `a` → `b`: no differences\n"


def test_json_is_versioned_and_complete(base: Snapshot) -> None:
    import json

    from cxops.render import jsonout

    data = json.loads(jsonout.render(compare(base, edited(base), "a", "b")))
    assert data["version"] == 1 and data["differs"] is True
    intent = next(r for r in data["resources"] if r["name"] == "main.flight_status")
    assert {
        "op": "added",
        "path": ["training_phrases", "en", "item"],
        "after": "Has flight [BA12](PNR_Number) left yet?",
    } in intent["fields"]


def test_git_history_of_a_json_package_as_cx_git_integration_pushes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CX's git integration commits the JSON package itself (agent.json at the branch root)."""
    import json
    import shutil

    if not (CORPUS / AGENT).is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    repo = tmp_path / "repo"
    shutil.copytree(CORPUS / AGENT, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "export 1")
    intent_file = next(p for p in repo.rglob("intents/*/*.json") if p.parent.name == p.stem)
    data = json.loads(intent_file.read_text(encoding="utf-8"))
    data["priority"] = 123456
    intent_file.write_text(json.dumps(data, indent=2), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "export 2")
    root = ["--root", str(repo)]
    assert main([*root, "diff", "git:HEAD~1", "git:HEAD"]) == 3
    out = capsys.readouterr().out
    assert f"~ intent {data['displayName']}" in out and "priority:" in out and "-> 123456" in out
    # The same package in a folder of another repository: git:REF:FOLDER.
    outer = tmp_path / "outer"
    shutil.copytree(repo, outer / "cx-export", ignore=shutil.ignore_patterns(".git"))
    git(outer, "init", "-q", "-b", "main")
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "vendored export")
    assert main(["--root", str(outer), "diff", "git:HEAD:cx-export", str(repo)]) == 0
    assert main(["--root", str(outer), "diff", "git:HEAD:nothing-here", str(repo)]) == 1
    assert (
        "no agents/nothing-here/, and no agent tree or JSON package in nothing-here/"
        in capsys.readouterr().err
    )


def test_the_agent_resource_is_named(base: Snapshot) -> None:
    from cxops.core.plan import Write
    from cxops.model.snapshot import AGENT_KEY

    after = Snapshot(resources=copy.deepcopy(base.resources))
    after.resources[AGENT_KEY]["time_zone"] = "Europe/Rome"
    out = render(compare(base, after, "a", "b"))
    assert "\n~ agent\n" in out
    assert Write("update", AGENT_KEY, None, ("start_flow",)).describe() == "update agent (start_flow)"


def _page(routes: list[dict[str, Any]], handlers: list[dict[str, Any]] | None = None) -> Snapshot:
    snapshot = Snapshot()
    body: dict[str, Any] = {"display_name": "P", "transition_routes": routes}
    if handlers is not None:
        body["event_handlers"] = handlers
    snapshot.add(Key("page", "F", "P"), body)
    return snapshot


def _field_lines(before: Snapshot, after: Snapshot) -> list[str]:
    return [line.strip() for line in render(compare(before, after)).splitlines() if line.startswith("    ")]


ROUTES = [{"intent": f"i{n}", "target_page": "X"} for n in range(60)]
FLOW_ROUTE = {"condition": "$session.params.vip = true", "target_flow": "VIP"}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            ROUTES[:1],
            [FLOW_ROUTE, *ROUTES[:1]],
            [
                "+ transition_routes route[condition=$session.params.vip = true]: "
                '{"condition": "$session.params.vip = true", "target_flow": "VIP"}'
            ],
            id="insert-at-top",
        ),
        pytest.param(
            ROUTES,
            [*ROUTES, {"intent": "i1", "target_page": "Y"}],
            ['+ transition_routes route[intent=i1, #2]: {"intent": "i1", "target_page": "Y"}'],
            id="append-to-60",
        ),
        pytest.param(
            [*ROUTES[:3], FLOW_ROUTE],
            ROUTES[:1] + ROUTES[2:3] + [FLOW_ROUTE],
            ['- transition_routes route[intent=i1]: {"intent": "i1", "target_page": "X"}'],
            id="delete",
        ),
        pytest.param(
            ROUTES[:3],
            [ROUTES[2], *ROUTES[:2]],
            ["~ transition_routes route[intent=i2]: moved from position 2 to 0"],
            id="reorder",
        ),
        pytest.param(
            ROUTES[:2],
            [FLOW_ROUTE, ROUTES[0], {"intent": "i1", "target_page": "Z"}],
            [
                "+ transition_routes route[condition=$session.params.vip = true]: "
                '{"condition": "$session.params.vip = true", "target_flow": "VIP"}',
                "@ transition_routes route[intent=i1]",
                '~ target_page: "X" -> "Z"',
            ],
            id="change-with-insert",
        ),
    ],
)
def test_routes_match_by_intent_and_condition_whatever_the_counts(
    before: list[dict[str, Any]], after: list[dict[str, Any]], expected: list[str]
) -> None:
    assert sorted(_field_lines(_page(before), _page(after))) == sorted(expected)


def test_event_handlers_match_by_event_and_condition() -> None:
    handler = {"event": "sys.no-match-default", "target_page": "X"}
    guarded = {
        "event": "sys.no-match-default",
        "condition": "$page.params.status = FINAL",
        "target_page": "Y",
    }
    lines = _field_lines(_page([], [handler]), _page([], [guarded, {**handler, "target_page": "Z"}]))
    assert sorted(lines) == sorted(
        [
            "+ event_handlers event[sys.no-match-default, condition=$page.params.status = FINAL]: "
            '{"event": "sys.no-match-default", "condition": "$page.params.status = FINAL", "target_page": "Y"}',
            "@ event_handlers event[sys.no-match-default]",
            '~ target_page: "X" -> "Z"',
        ]
    )


def test_a_git_side_without_an_agent_yet_shows_the_agent_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from tests.stagerepo import SAMPLE

    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "README.md").write_text("bots\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "empty")
    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "agent")
    root = ["--root", str(tmp_path)]
    assert main([*root, "diff", "git:HEAD~1", "git:HEAD"]) == 3
    out = capsys.readouterr().out
    assert "\n+ agent\n" in out and "+ flow " in out
    assert main([*root, "diff", "git:HEAD", "git:HEAD~1:order-desk"]) == 3
    assert "\n- agent\n" in capsys.readouterr().out
    # Both sides empty is no diff at all: the error says why.
    assert main([*root, "diff", "git:HEAD~1", "git:HEAD~1"]) == 1
    assert "no agent at HEAD~1" in capsys.readouterr().err
    outside = tmp_path.parent / f"{tmp_path.name}-nogit"
    outside.mkdir()
    assert main(["--root", str(outside), "diff", "git:main", "git:main"]) == 1
    assert f"'git:main': {outside} is not in a git repository" in capsys.readouterr().err


def test_a_long_text_that_changes_in_a_few_words_shows_those_words() -> None:
    goal = (
        "Help the customer find a product in the catalogue, answer questions about delivery "
        "times and prices, and hand over to a human agent when the customer asks for one or "
        "when the order is above the limit."
    )
    before, after = Snapshot(), Snapshot()
    before.add(Key("playbook", "", "Shop"), {"display_name": "Shop", "goal": goal})
    after.add(Key("playbook", "", "Shop"), {"display_name": "Shop", "goal": goal.replace("human", "live")})
    diff = compare(before, after)
    [line] = _field_lines(before, after)
    assert line.startswith("~ goal: ") and "[-human-]{+live+}" in line
    assert "->" not in line and len(line) < len(goal)
    [changed] = [ln for ln in markdown(diff).splitlines() if "goal" in ln]
    assert changed.startswith("! ~ playbook Shop · goal: ") and "[-human-]{+live+}" in changed
    # A short value is still shown whole, before and after.
    short_before, short_after = Snapshot(), Snapshot()
    short_before.add(Key("playbook", "", "Shop"), {"display_name": "Shop", "goal": "Help."})
    short_after.add(Key("playbook", "", "Shop"), {"display_name": "Shop", "goal": "Assist."})
    assert _field_lines(short_before, short_after) == ['~ goal: "Help." -> "Assist."']


def test_an_added_or_removed_resource_shows_its_body_collapsed(base: Snapshot) -> None:
    """As Terraform shows what it creates or destroys: the tree file's YAML, one sign per line."""
    import json

    from cxops.render import jsonout
    from cxops.render.text import BODY_LINES

    after = edited(base)
    removed = compare(base, after)
    text = render(removed)
    assert "- page Upgrade/Get Membership Number\n    - form:\n    -   parameters:\n" in text
    assert "    -       entity_type: '@sys.number'\n" in text
    section = markdown(removed).split("page Upgrade/Get Membership Number</summary>")[1]
    section = section.split("</details>")[0]
    assert "```diff\n- form:\n-   parameters:\n" in section and "- display_name: membership_num" in section
    added = render(compare(after, base))
    assert "+ page Upgrade/Get Membership Number\n    + form:\n" in added
    data = json.loads(jsonout.render(removed))
    page = next(r for r in data["resources"] if r["name"] == "Get Membership Number")
    assert page["body"]["form"]["parameters"][0]["display_name"] == "membership_num"
    # A long body is cut, with a count of the lines left out.
    flow = next(s for s in text.split("\n\n") if s.startswith("- flow Upgrade\n"))
    assert len(flow.splitlines()) == 1 + BODY_LINES and flow.endswith("more lines")


def test_bodies_are_cut_to_the_comment_limit_and_no_change_is_left_out(base: Snapshot) -> None:
    from cxops.render import markdown as md

    empty = Snapshot(resources={k: v for k, v in base.resources.items() if k.kind == "agent"})
    diff = compare(empty, base, "a", "b")
    out = md.render(diff, limit=20_000)
    assert len(out) <= 20_000 and "not shown" not in out
    assert _shown(out, diff) == len(diff.changes)
    roomy = md.render(diff)
    # Cut for room: fewer body lines than unlimited, and the cut ones counted.
    assert len(out) < len(roomy) and out.count("  … ") > roomy.count("  … ")
    # Where no line fits, the count still does.
    last = out.split("</details>")[-2]
    assert "<code>+</code> test_case" in last and re.search(r"```diff\n  … \d+ lines\n```", last)


def test_field_paths_say_type_as_the_tree_does() -> None:
    def playbook(kind: str) -> Snapshot:
        body = {
            "display_name": "P",
            "goal": "g",
            "input_parameter_definitions": [{"name": "a", "type_": kind}],
        }
        return Snapshot(resources={Key("playbook", "", "P"): body})

    diff = compare(playbook("STRING"), playbook("NUMBER"), "a", "b")
    assert '~ input_parameter_definitions[0].type: "STRING" -> "NUMBER"' in render(diff)
    assert '! ~ playbook P · input_parameter_definitions[0].type: "STRING" → "NUMBER"' in markdown(diff)


def test_multi_line_text_shows_its_changed_lines() -> None:
    goal = "".join(f"- step {i}: ask for item {i} \n" for i in range(20))

    def playbook(text: str) -> Snapshot:
        return Snapshot(resources={Key("playbook", "", "Sales"): {"display_name": "Sales", "goal": text}})

    edited = goal.replace("item 7 ", "the item 7 ").replace("- step 15: ask for item 15 \n", "")
    diff = compare(playbook(goal), playbook(edited), "a", "b")
    assert (
        "~ playbook Sales\n"
        "    ~ goal: 2 of 19 lines changed\n"
        '        - "- step 7: ask for item 7 "\n'
        '        + "- step 7: ask for the item 7 "\n'
        '        - "- step 15: ask for item 15 "\n'
    ) in render(diff)
    assert (
        "!   goal: 2 of 19 lines changed\n"
        '-     "- step 7: ask for item 7 "\n'
        '+     "- step 7: ask for the item 7 "\n'
        '-     "- step 15: ask for item 15 "\n'
    ) in markdown(diff)
    # Two-line text stays a word diff or two whole values.
    short = compare(playbook("one\ntwo\n"), playbook("one\nthree\n"), "a", "b")
    assert '~ goal: "one\\ntwo\\n" -> "one\\nthree\\n"' in render(short)


def test_a_backup_is_a_side_of_a_diff(
    base: Snapshot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path / "agents" / "a", base)
    write_tree(tmp_path / "agents" / "b", edited(base))
    saved = backups.save(tmp_path, "stg", "a", base, "2026-12-04T09:00:00Z", "f" * 64)
    spec = f"backup:{saved.relative_to(tmp_path).as_posix()}"
    root = ["--root", str(tmp_path)]
    assert main([*root, "diff", spec, "agents/a"]) == 0  # what a rollback to it would bring back
    assert main([*root, "diff", spec, "agents/b"]) == 3
    assert "~ intent main.flight_status" in capsys.readouterr().out
    assert main([*root, "diff", "backup:.cxops/nothing.json", "agents/a"]) == 1
    assert "cannot read backup" in capsys.readouterr().err


def _renamed_everywhere(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _renamed_everywhere(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed_everywhere(v, old, new) for v in value]
    return new if value == old else value


def test_markdown_shows_a_rename_and_its_referrers_as_one_item(base: Snapshot) -> None:
    old, new = "faq.miles.upgrade", "faq.miles.upgrade2"
    after = Snapshot()
    for key, body in base:
        renamed = Key(key.kind, key.scope, new) if key == Key("intent", "", old) else key
        after.add(renamed, _renamed_everywhere(copy.deepcopy(body), old, new))
    diff = compare(base, after, "a", "b")
    referring = [c for c in diff.changes if c.renamed_from is None]
    assert len(referring) >= 2  # routes in more than one resource name the intent
    lines = markdown(diff).splitlines()
    named = ", ".join(str(c.key) for c in referring[:5])
    more = f", … {len(referring) - 5} more" if len(referring) > 5 else ""
    assert lines[1:] == [
        "```diff",
        f"~ intent {old} → {new} · its new name in {len(referring)} referring resources: {named}{more}",
        "```",
    ]
    # The text output still shows every route that changed.
    assert all(f"~ {c.key}" in render(diff) for c in referring)
    # A referrer that also changes something else keeps its own item.
    first = referring[0].key
    after.resources[first] = {**after.resources[first], "description": "edited too"}
    lines = markdown(compare(base, after, "a", "b")).splitlines()
    assert any(line.startswith(f"~ {first}") for line in lines)
    assert f"{len(referring) - 1} referring" in lines[2]
