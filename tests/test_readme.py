"""The command reference (docs/commands.md) against `--help`: every command has a section, and every
option a command takes is named in it (and nothing it names is unknown)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxops.cli.main import main

README = (Path(__file__).resolve().parents[1] / "docs" / "commands.md").read_text(encoding="utf-8")
COMMANDS = [
    "pull",
    "import",
    "package",
    "validate",
    "lint",
    "diff",
    "plan",
    "approve",
    "apply",
    "promote",
    "drift",
    "rollback",
    "test",
    "init",
    "demo",
    "preview up",
    "preview down",
    "preview list",
    "preview prune",
    "stage create",
]


def help_options(capsys: pytest.CaptureFixture[str], *command: str) -> set[str]:
    assert main([*(word for part in command for word in part.split()), "--help"]) == 0
    text = capsys.readouterr().out
    # Only the option lines (indented, starting with a dash), not options named in help texts.
    lines = [line.split("  ")[0] for line in re.findall(r"^[ │]+(-[^\n]*)$", text, re.M)]
    return {o for line in lines for o in re.findall(r"(--[a-z][a-z-]*|-[a-zA-Z])\b", line)} - {"--help"}


def section(command: str) -> str:
    match = re.search(rf"^## `cxops {command}\b[^\n]*$(.*?)(?=^## |^# )", README, re.M | re.S)
    assert match, f"docs/commands.md has no section ## `cxops {command} …`"
    return match.group(0)


def test_every_command_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    listed = set(re.findall(r"^│? +([a-z]+) ", capsys.readouterr().out, re.M)) | set(
        re.findall(r"^  ([a-z]+)\s", README, re.M)
    )
    for command in COMMANDS:
        section(command)
    assert {"fake", "preview"} | set(COMMANDS) >= {c for c in listed if c in set(COMMANDS) | {"fake"}}


GLOBAL = {"--root", "--format", "--emulator-host", "--endpoint", "--debug", "--no-color", "-q", "--quiet"}


@pytest.mark.parametrize("command", COMMANDS)
def test_each_option_of_a_command_is_in_its_section(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    every = help_options(capsys, command)
    # The global options are in every command's --help and described once, above the commands.
    assert every >= GLOBAL - {"--format"}, f"cxops {command} --help lacks {sorted(GLOBAL - every)}"
    options = every - GLOBAL | ({"--format"} & every if "`--format" in section(command) else set())
    text = section(command)
    missing = sorted(
        o for o in options if f"`{o}" not in text and f"{o} " not in text and f"{o}`" not in text
    )
    assert not missing, f"docs/commands.md's cxops {command} section does not mention {missing}"
    named = set(re.findall(r"`(--[a-z][a-z-]*)", text))
    assert named <= options, (
        f"docs/commands.md names options cxops {command} does not take: {sorted(named - options)}"
    )


def test_global_options_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    options = help_options(capsys)
    start = README.index("# Command reference")
    head = README[start : README.index("## ", start)]
    assert all(o in head for o in options), sorted(o for o in options if o not in head)
    assert options - {"--version"} == GLOBAL


FRONT = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_is_a_front_door_whose_links_all_resolve() -> None:
    text = FRONT.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 300  # the reference lives in docs/
    assert "## Quick start" in text and "python3 dev.py demo" in text and "python3 dev.py test" in text
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert "docs/commands.md" in targets
    missing = [t for t in targets if "://" not in t and not (FRONT.parent / t).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
