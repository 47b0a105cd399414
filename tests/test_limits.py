"""`cxops validate` refuses a value longer than CX's documented limit for its field (issue 28
item 11), naming file, line and key; the limits are the proto comments' (cxops/model/schema.json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxops.cli.main import main
from cxops.core.limits import max_chars
from cxops.model import schema
from tests.test_validate import FLOW, INTENT, PAGE, tree

V3 = "google.cloud.dialogflow.cx.v3"
GROUP = "G" * 30
TEST_CASE = """display_name: {name}
tags: ['{tag}']
test_case_conversation_turns:
  - user_input:
      input:
        text:
          text: {text}
        language_code: en
"""


def _field(message: str, name: str) -> schema.Field:
    return schema.message(f"{V3}.{message}").fields_by_name[name]


@pytest.mark.parametrize(
    ("message", "name", "limit"),
    [
        ("Agent", "description", 500),
        ("Page", "description", 500),
        ("Flow", "description", 500),
        ("TransitionRoute", "description", 500),
        ("Intent", "description", 1000),
        ("Intent", "labels", 63),
        ("ParameterDefinition", "description", 300),
        ("TestCase", "display_name", 200),
        ("TestCase", "notes", 400),
        ("TestCase", "tags", 30),
        ("TransitionRouteGroup", "display_name", 30),
        ("TextInput", "text", 256),
    ],
)
def test_the_documented_limits_reach_the_model(message: str, name: str, limit: int) -> None:
    assert max_chars(_field(message, name)) == limit


def test_a_field_without_a_documented_limit_is_not_checked() -> None:
    assert max_chars(_field("Intent", "display_name")) is None
    assert max_chars(_field("ResponseMessage.Text", "text")) is None


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"flows__Default Start Flow__pages__Ask.yaml": PAGE + f"description: {'d' * 501}\n"},
            "agents/orders/flows/Default Start Flow/pages/Ask.yaml:2: description: value of 501 characters; "
            "CX accepts at most 500 here (Page.description)",
        ),
        (
            {
                "flows__Default Start Flow__flow.yaml": FLOW.replace(
                    "    target_page: Ask\n", f"    target_page: Ask\n    description: {'r' * 600}\n"
                )
            },
            "agents/orders/flows/Default Start Flow/flow.yaml:5: transition_routes.0.description: value of 600",
        ),
        (
            {"intents__order.status.yaml": INTENT + f"labels:\n  {'k' * 64}: v\n"},
            f"intents/order.status.yaml:8: labels.{'k' * 64}: key of 64 characters",
        ),
        (
            {"intents__order.status.yaml": INTENT + f"labels:\n  k: {'v' * 70}\n"},
            "intents/order.status.yaml:8: labels.k: value of 70 characters; CX accepts at most 63",
        ),
        (
            {"test-cases__t.yaml": TEST_CASE.format(name="t", tag="#ok", text="w" * 257)},
            "test-cases/t.yaml:7: test_case_conversation_turns.0.user_input.input.text.text: value of 257 characters",
        ),
        (
            {"test-cases__t.yaml": TEST_CASE.format(name="t", tag="#" + "x" * 30, text="hi")},
            "test-cases/t.yaml:2: tags.0: value of 31 characters; CX accepts at most 30 here (TestCase.tags)",
        ),
        (
            {f"flows__Default Start Flow__route-groups__{GROUP}G.yaml": f"display_name: {GROUP}G\n"},
            f"route-groups/{GROUP}G.yaml:1: display_name: display name of 31 characters; CX accepts at "
            "most 30 here (TransitionRouteGroup.display_name)",
        ),
    ],
)
def test_a_value_over_its_limit_is_refused_with_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], expected: str
) -> None:
    tree(tmp_path, **files)
    assert main(["--root", str(tmp_path), "validate", "orders"]) == 1
    assert expected in capsys.readouterr().err


def test_values_at_their_limits_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree(
        tmp_path,
        **{
            "flows__Default Start Flow__pages__Ask.yaml": PAGE + f"description: {'d' * 500}\n",
            "intents__order.status.yaml": INTENT + f"labels:\n  {'k' * 63}: {'v' * 63}\n",
            "test-cases__t.yaml": TEST_CASE.format(name="t" * 200, tag="#" + "x" * 29, text="w" * 256),
            f"flows__Default Start Flow__route-groups__{GROUP}.yaml": f"display_name: {GROUP}\n",
        },
    )
    assert main(["--root", str(tmp_path), "validate", "orders"]) == 0, capsys.readouterr().err


def test_package_writes_nothing_for_a_description_over_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The probe's 200 MB description, scaled down: the check is on length, not on file size.
    tree(tmp_path, **{"flows__Default Start Flow__pages__Ask.yaml": PAGE + f"description: {'d' * 100_000}\n"})
    out = tmp_path / "out.zip"
    assert main(["--root", str(tmp_path), "package", "orders", "-o", str(out)]) == 1
    assert "value of 100,000 characters" in capsys.readouterr().err
    assert not out.exists()


def test_a_tree_file_over_the_file_cap_is_refused_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The import's per-file cap (CXOPS_IMPORT_MAX_FILE_BYTES) holds for tree files too, on disk
    # and at a git ref: the probe's 200 MB file took 37 s and 1 GB to parse before it was refused.
    monkeypatch.setenv("CXOPS_IMPORT_MAX_FILE_BYTES", "4K")
    tree(tmp_path, **{"flows__Default Start Flow__pages__Ask.yaml": PAGE + f"description: {'d' * 5000}\n"})
    assert main(["--root", str(tmp_path), "validate", "orders"]) == 1
    err = capsys.readouterr().err
    assert "agents/orders/flows/Default Start Flow/pages/Ask.yaml: file is 4.914 KiB, more than 4 KiB" in err
    assert "CXOPS_IMPORT_MAX_FILE_BYTES" in err


def test_a_file_over_the_file_cap_at_a_git_ref_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    tree(tmp_path, **{"flows__Default Start Flow__pages__Ask.yaml": PAGE + f"description: {'d' * 5000}\n"})
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *args], cwd=tmp_path, check=True)
    monkeypatch.setenv("CXOPS_IMPORT_MAX_FILE_BYTES", "4K")
    tree_dir = str(tmp_path / "agents" / "orders")
    assert main(["--root", str(tmp_path), "diff", "git:HEAD:orders", tree_dir]) == 1
    assert (
        "git:HEAD:agents/orders/flows/Default Start Flow/pages/Ask.yaml: file is 4.914 KiB"
        in capsys.readouterr().err
    )
