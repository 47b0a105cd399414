"""`cxops merge-driver`: measured on generated edit pairs of real agents, and run by real git.

The pairs (bench/merge_pairs.py) are merged with the driver's code in-process and with
`git merge-file` (what plain git does to a file); a sample goes through `git merge` in a real
repository with the driver configured as `cxops init` tells users to.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.merge_pairs import (
    CORE_KINDS,
    Pair,
    agent_files,
    different_pairs,
    loaded,
    measure,
    same_pairs,
    versions,
)
from bench.merge_scale import phrase_versions
from cxops.cli.main import main
from cxops.core.conflicttext import MIDDLE, OURS, THEIRS
from cxops.repo import yamlio
from cxops.workflows.init import MERGE_ATTRIBUTE
from cxops.workflows.mergedriver import MAX_STRUCTURAL_BYTES, merge_file

SEED = 20261203


@pytest.fixture(scope="module")
def files() -> dict[str, Any]:
    """Resource files of the sample agent (en, ja) and of the corpus agents where present."""
    return loaded(agent_files())


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A folder for git merge-file's three files: in memory where the system has one."""
    if not Path("/dev/shm").is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(dir="/dev/shm"))
    yield folder
    shutil.rmtree(folder)


def test_pairs_on_different_items_never_conflict(files: dict[str, Any], scratch: Path) -> None:
    pairs = different_pairs(files, 200, SEED)
    kinds = {site.kind for p in pairs for site in (p.a, p.b)}
    languages = {site.language for p in pairs for site in (p.a, p.b)}
    assert set(CORE_KINDS) <= kinds and {"en", "ja"} <= languages
    outcomes = [measure(p, files[p.file], scratch) for p in pairs]
    failed = [(p.file, p.a, p.b) for p, o in zip(pairs, outcomes, strict=True) if not o.driver_matches]
    assert not failed, (
        f"{len(failed)} of {len(pairs)} pairs did not merge to both edits applied: {failed[:3]}"
    )
    git = sum(not o.git_clean for o in outcomes)
    print(f"different items: driver conflicts 0/{len(pairs)}, plain git {git}/{len(pairs)}")


def test_pairs_on_the_same_item_always_conflict(files: dict[str, Any], tmp_path: Path) -> None:
    pairs = same_pairs(files, 60, SEED)
    assert {p.a.action for p in pairs} >= {"scalar", "modify", "remove"}
    outcomes = [measure(p, files[p.file], tmp_path, plain_git=False) for p in pairs]
    resolved = [(p.file, p.a, p.b) for p, o in zip(pairs, outcomes, strict=True) if o.driver_clean]
    assert not resolved, f"silently resolved: {resolved[:3]}"


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=check)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the driver configured as the README says (cxops as this Python)."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    git(root, "config", "merge.cxops.name", "cxops structural merge of agent files")
    git(root, "config", "merge.cxops.driver", f'"{sys.executable}" -m cxops merge-driver %O %A %B %P')
    (root / ".gitattributes").write_text(MERGE_ATTRIBUTE + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "attributes")
    return root


def branch_pair(repo: Path, name: str, path: str, base: str, ours: str, theirs: str) -> None:
    """Commit ``base`` on main, ``ours`` on NAME-a and ``theirs`` on NAME-b, both from main."""
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    git(repo, "checkout", "-q", "main")
    target.write_text(base, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", f"base {name}")
    for side, text in (("a", ours), ("b", theirs)):
        git(repo, "checkout", "-q", "-b", f"{name}-{side}", "main")
        target.write_text(text, encoding="utf-8")
        git(repo, "commit", "-q", "-am", f"{name} {side}")
    git(repo, "checkout", "-q", f"{name}-a")


def through_git(repo: Path, files: dict[str, Any], pair: Pair, name: str) -> tuple[int, str, str]:
    ours, theirs, both, _ = versions(pair, files[pair.file])
    path = f"agents/{pair.file}"
    branch_pair(repo, name, path, yamlio.dump(files[pair.file]), ours, theirs)
    merged = git(repo, "merge", "-q", "--no-edit", f"{name}-b", check=False)
    text = (repo / path).read_text(encoding="utf-8")
    if merged.returncode:
        git(repo, "merge", "--abort", check=False)
    return merged.returncode, text, both


def test_real_git_merges_a_sample_through_the_driver(files: dict[str, Any], repo: Path) -> None:
    # Each merge starts the driver as a new Python process (seconds on a busy machine): a
    # sample here, the full measurement above runs the same code in-process.
    order_desk = {k: v for k, v in files.items() if k.startswith("order-desk/")}
    for i, pair in enumerate(different_pairs(order_desk, 1, SEED)):
        code, text, both = through_git(repo, order_desk, pair, f"d{i}")
        assert code == 0 and text == both, (pair.a, pair.b)
    for i, pair in enumerate(same_pairs(order_desk, 1, SEED)):
        code, text, _ = through_git(repo, order_desk, pair, f"s{i}")
        assert code != 0 and OURS in text and MIDDLE in text and THEIRS in text
        assert git(repo, "status", "--porcelain").stdout == ""  # the abort left nothing behind


def test_a_route_and_a_message_on_one_page_merge_where_plain_git_conflicts(repo: Path) -> None:
    page = yamlio.load(
        (Path(__file__).parents[1] / "agents/order-desk/flows/Returns/pages/Confirm Return.yaml").read_text(
            encoding="utf-8"
        ),
        "page",
    )
    base = yamlio.dump(page)
    ours_data = yamlio.load(base, "x")
    # A route added after "confirm.yes" on one branch, that route's target changed on the other.
    ours_data["transition_routes"].insert(
        1, {"condition": "$session.params.vip = true", "target_page": "VIP"}
    )
    theirs_data = yamlio.load(base, "x")
    theirs_data["transition_routes"][0]["target_page"] = "Somewhere Else"
    ours, theirs = yamlio.dump(ours_data), yamlio.dump(theirs_data)
    texts = write(repo.parent, base=base, ours=ours, theirs=theirs)
    plain = subprocess.run(
        ["git", "merge-file", "-p", texts["ours"], texts["base"], texts["theirs"]],
        capture_output=True,
        check=False,
    )
    assert plain.returncode == 1  # plain git: one conflict
    branch_pair(repo, "p", "agents/a/p.yaml", base, ours, theirs)
    assert git(repo, "merge", "-q", "--no-edit", "p-b", check=False).returncode == 0
    merged = yamlio.load((repo / "agents/a/p.yaml").read_text(encoding="utf-8"), "x")
    assert merged["transition_routes"][0]["target_page"] == "Somewhere Else"
    assert merged["transition_routes"][1]["target_page"] == "VIP"


def write(folder: Path, **texts: str) -> dict[str, str]:
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name: str(folder / name) for name in texts}


def test_a_file_that_does_not_parse_is_merged_as_text_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = write(tmp_path, base="a: 1\nb: [\n", ours="a: 2\nb: [\n", theirs="a: 3\nb: [\n")
    assert main(["merge-driver", p["base"], p["ours"], p["theirs"], "agents/x/intents/i.yaml"]) == 1
    err = capsys.readouterr().err
    assert "warning: agents/x/intents/i.yaml: does not parse" in err and "git merge-file" in err
    text = (tmp_path / "ours").read_text()
    assert "<<<<<<< ours\na: 2\n=======\na: 3\n>>>>>>> theirs\n" in text  # no side lost


def test_a_file_outside_the_tree_is_merged_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = write(tmp_path, base="x\ny\nz\n", ours="x1\ny\nz\n", theirs="x\ny\nz1\n")
    assert main(["merge-driver", p["base"], p["ours"], p["theirs"], "notes.txt"]) == 0
    assert "notes.txt: not an agent resource file" in capsys.readouterr().err
    assert (tmp_path / "ours").read_text() == "x1\ny\nz1\n"


def test_the_driver_writes_canonical_text_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "agents/x/intents/i.yaml"
    p = write(tmp_path, base="a: 1\nb: x\n", ours="b: 'x'\na: 2\n", theirs="a: 1\nb: z\n")
    assert main(["merge-driver", p["base"], p["ours"], p["theirs"], name]) == 0
    assert (tmp_path / "ours").read_text() == "b: z\na: 2\n"
    p = write(tmp_path, base="a: 1\n", ours="a: 2\n", theirs="a: 3\n")
    assert main(["merge-driver", p["base"], p["ours"], p["theirs"], name]) == 1
    assert capsys.readouterr().err == f"CONFLICT (cxops): {name}: both branches changed a\n"
    assert (tmp_path / "ours").read_text() == "<<<<<<< ours\na: 2\n=======\na: 3\n>>>>>>> theirs\n"


def test_the_conflict_message_names_each_conflicting_field_as_diff_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = {
        "display_name": "Confirm",
        "transition_routes": [
            {"intent": "confirm.yes", "target_page": "Done"},
            {"intent": "confirm.no", "target_page": "Retry"},
        ],
        "event_handlers": [
            {"event": "sys.no-match-default", "target_page": "Retry"},
            {"event": "sys.no-input-default", "target_page": "Retry"},
        ],
        "form": {"parameters": [{"display_name": "order_id", "required": True}]},
    }
    ours, theirs = copy.deepcopy(page), copy.deepcopy(page)
    ours["transition_routes"][1]["target_page"] = "Start"
    theirs["transition_routes"][1]["target_page"] = "End"
    ours["form"]["parameters"][0]["required"] = False
    theirs["form"]["parameters"][0]["redact"] = True
    theirs["form"]["parameters"][0]["required"] = False
    ours["event_handlers"][0]["target_page"] = "A"
    del theirs["event_handlers"][0]  # deleted on one side, changed on the other
    p = write(tmp_path, base=yamlio.dump(page), ours=yamlio.dump(ours), theirs=yamlio.dump(theirs))
    name = "agents/x/flows/F/pages/Confirm.yaml"
    assert main(["merge-driver", p["base"], p["ours"], p["theirs"], name]) == 1
    assert capsys.readouterr().err == (
        f"CONFLICT (cxops): {name}: both branches changed "
        "transition_routes route[intent=confirm.no].target_page, event_handlers event[sys.no-match-default]\n"
    )
    both = write(tmp_path, base="", ours="display_name: x\na: 1\n", theirs="a: 2\n")
    assert main(["merge-driver", both["base"], both["ours"], both["theirs"], name]) == 1
    assert capsys.readouterr().err.endswith("both branches changed a\n")


def test_a_file_added_on_both_branches_merges_against_nothing(tmp_path: Path) -> None:
    # git passes an empty %O when the file has no common ancestor.
    p = write(tmp_path, base="", ours="display_name: x\na: 1\n", theirs="display_name: x\nb: 2\n")
    assert main(["merge-driver", p["base"], p["ours"], p["theirs"], "agents/x/webhooks/w.yaml"]) == 0
    assert (tmp_path / "ours").read_text() == "display_name: x\na: 1\nb: 2\n"


def test_two_branches_editing_other_lines_of_a_playbook_goal_merge(repo: Path) -> None:
    """The goal's lines end in spaces, so it is written double-quoted one line per line: each
    branch's edit is one line of the file, and the driver merges the text line by line."""
    goal = "".join(f"- step {i}: ask for item {i} \n" for i in range(12))
    base = yamlio.dump({"display_name": "Sales", "goal": goal})
    ours = yamlio.dump({"display_name": "Sales", "goal": goal.replace("item 2 ", "the item 2 ")})
    theirs = yamlio.dump({"display_name": "Sales", "goal": goal.replace("item 9 ", "item nine ")})
    branch_pair(repo, "g", "agents/a/playbooks/Sales/playbook.yaml", base, ours, theirs)
    assert git(repo, "merge", "-q", "--no-edit", "g-b", check=False).returncode == 0
    text = (repo / "agents/a/playbooks/Sales/playbook.yaml").read_text(encoding="utf-8")
    assert yamlio.load(text, "x")["goal"] == goal.replace("item 2 ", "the item 2 ").replace(
        "item 9 ", "item nine "
    )


def test_one_line_of_a_goal_edited_on_both_branches_is_marked_alone(repo: Path) -> None:
    """Both branches edit step 5 (a conflict) and each edits another step too: the file marks
    step 5 alone, and either side's resolution keeps the other branch's other edit."""
    goal = "".join(f"- step {i}: ask for item {i}\n" for i in range(12))
    base = yamlio.dump({"display_name": "Sales", "goal": goal})
    ours_goal = goal.replace("item 5", "item five").replace("item 1\n", "the item 1\n")
    theirs_goal = goal.replace("item 5", "item FIVE").replace("item 10", "item ten")
    ours = yamlio.dump({"display_name": "Sales", "goal": ours_goal})
    theirs = yamlio.dump({"display_name": "Sales", "goal": theirs_goal})
    branch_pair(repo, "h", "agents/a/playbooks/Sales/playbook.yaml", base, ours, theirs)
    assert git(repo, "merge", "-q", "--no-edit", "h-b", check=False).returncode == 1
    text = (repo / "agents/a/playbooks/Sales/playbook.yaml").read_text(encoding="utf-8")
    assert (
        "<<<<<<< ours\n  - step 5: ask for item five\n=======\n  - step 5: ask for item FIVE\n>>>>>>> theirs\n"
        in text
    )
    assert text.count("<<<<<<<") == 1
    both = goal.replace("item 1\n", "the item 1\n").replace("item 10", "item ten")
    kept = text.replace("=======\n  - step 5: ask for item FIVE\n>>>>>>> theirs\n", "").replace(
        "<<<<<<< ours\n", ""
    )
    assert yamlio.load(kept, "x")["goal"] == both.replace("item 5", "item five")


def test_a_missing_input_is_one_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, base="a: 1\n", ours="a: 2\n")
    missing = str(tmp_path / "theirs")
    assert main(["merge-driver", p["base"], p["ours"], missing, "agents/x/intents/i.yaml"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: merge-driver: cannot read {missing}: No such file or directory\n"
    assert (tmp_path / "ours").read_text() == "a: 2\n"  # nothing written


def test_long_lists_merge_in_near_linear_time(tmp_path: Path) -> None:
    # Issue 28 item 7: pairwise matching took 46 s on 20,000 phrases; by hash it takes ~0.5 s.
    base, ours, theirs = phrase_versions(20_000)
    p = write(tmp_path, base=base, ours=ours, theirs=theirs)
    started = time.perf_counter()
    outcome = merge_file(Path(p["base"]), Path(p["ours"]), Path(p["theirs"]), "agents/x/intents/big.yaml")
    elapsed = time.perf_counter() - started
    assert outcome.structural and elapsed < 10, elapsed
    merged = yamlio.load((tmp_path / "ours").read_text(encoding="utf-8").split(OURS)[0] + "\n", "m")
    assert merged["display_name"] == "big"


def test_thousands_of_conflicts_inside_flow_lists_are_widened_in_one_pass(tmp_path: Path) -> None:
    # Each synonym conflict sits in a flow list and is widened to its entity: one pass for all
    # (one pass each took 64 s for 1,000 entities).
    def entity_type(tag: str) -> str:
        entities = [{"value": f"v{i}", "synonyms": [f"v{i}", f"s{i}{tag}"]} for i in range(2000)]
        return yamlio.dump({"display_name": "big", "kind": "KIND_MAP", "entities": {"en": entities}})

    p = write(tmp_path, base=entity_type(""), ours=entity_type("o"), theirs=entity_type("t"))
    started = time.perf_counter()
    outcome = merge_file(Path(p["base"]), Path(p["ours"]), Path(p["theirs"]), "agents/x/entity-types/e.yaml")
    assert time.perf_counter() - started < 10
    text = (tmp_path / "ours").read_text(encoding="utf-8")
    assert not outcome.clean and text.count(OURS) == 2000
    assert f"{OURS}\n      synonyms: [v7, s7o]\n{MIDDLE}\n      synonyms: [v7, s7t]\n{THEIRS}" in text


def test_a_file_past_the_size_limit_is_merged_as_text_with_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filler = "x" * (MAX_STRUCTURAL_BYTES + 1)
    base, ours, theirs = (f"a: {v}\nb: 1\nc: {filler}\n" for v in (1, 2, 1))
    theirs = theirs.replace("b: 1", "b: 2")
    p = write(tmp_path, base=base, ours=ours, theirs=theirs)
    name = "agents/x/intents/huge.yaml"
    assert main(["merge-driver", p["base"], p["ours"], p["theirs"], name]) == 1  # git: one hunk
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"warning: {name}: larger than 8 MB; merged as text by git merge-file"
    assert len([line for line in err if line.startswith("warning:")]) == 1
    assert (tmp_path / "ours").read_text().startswith(OURS)  # git merge-file's markers, no side lost
