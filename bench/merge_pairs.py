"""Seeded pairs of edits on agent-tree files, to measure ``cxops merge-driver`` (issue 10).

An edit site is one thing a developer changes in one file: a text field, or one list item
(inserted after, removed, edited) of a list the merge knows by identity (routes, event
handlers, training phrases, synonyms, entities, messages, parameters…). A pair is two sites of
one file: "different" pairs touch items neither of which holds the other, "same" pairs change
one item or value in two incompatible ways. Each edit is applied to object references resolved
in the base first, so "both edits applied" is defined without any merge logic.
"""

from __future__ import annotations

import copy
import random
import re
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxops.core.conflicttext import OURS, THEIRS, render
from cxops.core.merge import has_conflicts, merge3, merge_identity
from cxops.package.reader import snapshot_from_package
from cxops.repo import yamlio
from cxops.repo.tree import read_tree, tree_files

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT.parent / "shared" / "corpus"
SAMPLE = PROJECT / "agents" / "order-desk"
CORPUS_AGENTS = (
    "rohitkumar404__flight-booking-repo",
    "Onurzkan__qatar-airways",
    "dsgov-acme__cwb03-ccai-agent__agent",
    "alrtas__optus-dev",
)
# Fields that name a list item: editing one is a new item, not an edit of the item.
NAMING = {"display_name", "id", "value", "parameter", "key", "event", "intent", "condition", "name"}
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]+)?")

Step = tuple[str, Any]  # ("k", key) or ("i", list item identity)


@dataclass(frozen=True)
class Site:
    file: str
    action: str  # scalar | insert | remove | modify
    where: tuple[Step, ...]  # the dict (scalar) or the list (the rest)
    target: Any  # the key (scalar) or the item's identity
    kind: str  # the list's field name, or "scalar"
    language: str | None

    @property
    def unit(self) -> tuple[Step, ...]:
        """What the edit touches: the value, or the list item (an insert touches its anchor)."""
        return (*self.where, ("k" if self.action == "scalar" else "i", self.target))


@dataclass(frozen=True)
class Pair:
    file: str
    a: Site
    b: Site
    seed: int


def agent_files() -> dict[str, dict[str, bytes]]:
    """Tree files per agent: the sample agent, and the corpus agents where the corpus is present."""
    out = {"order-desk": tree_files(read_tree(SAMPLE))}
    for name in CORPUS_AGENTS:
        folder = CORPUS / name
        if (folder / "agent.json").is_file():
            export = {
                p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
            }
            out[name] = tree_files(snapshot_from_package(export)[0])
    return out


def sites(file: str, data: Any) -> list[Site]:
    return list(_walk(file, data, (), "scalar", None))


def _walk(file: str, value: Any, where: tuple[Step, ...], field: str, language: str | None) -> Iterator[Site]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and key not in NAMING and "\n" not in item:
                yield Site(file, "scalar", where, key, "scalar", language)
            elif isinstance(item, list) and _LANGUAGE.fullmatch(key) and field != "scalar":
                yield from _walk(file, item, (*where, ("k", key)), field, key)
            else:
                yield from _walk(file, item, (*where, ("k", key)), key, language)
    elif isinstance(value, list) and value:
        idents = [merge_identity(item, _key(where)) for item in value]
        if len(set(idents)) < len(idents):
            return
        for ident, item in zip(idents, value, strict=True):
            yield Site(file, "insert", where, ident, field, language)
            yield Site(file, "remove", where, ident, field, language)
            if _leaf(item) is not None:
                yield Site(file, "modify", where, ident, field, language)
            if isinstance(item, dict):
                yield from _walk(file, item, (*where, ("i", ident)), field, language)


def _leaf(item: Any) -> tuple[Any, Any] | None:
    """(container, key or index) of the first text inside ``item`` that does not name it."""
    if isinstance(item, dict):
        for key, value in item.items():
            if isinstance(value, str) and key not in NAMING:
                return item, key
            found = _leaf(value) if isinstance(value, dict | list) else None
            if found:
                return found
    if isinstance(item, list):
        for i, value in enumerate(item):
            if isinstance(value, str):
                return item, i
            found = _leaf(value)
            if found:
                return found
    return None


def _key(where: tuple[Step, ...]) -> str | None:
    """The key a list sits under (what the merge names its items by)."""
    return where[-1][1] if where and where[-1][0] == "k" else None


def _find(data: Any, where: tuple[Step, ...]) -> Any:
    for i, (how, step) in enumerate(where):
        field = _key(where[:i])
        data = data[step] if how == "k" else next(x for x in data if merge_identity(x, field) == step)
    return data


def _new_item(anchor: Any, tag: str, language: str | None) -> Any:
    text = f"マージ確認 {tag}" if language == "ja" else f"merge probe {tag}"
    if not isinstance(anchor, dict):
        return text
    item = copy.deepcopy(anchor)
    if "event" in item:
        item["event"] = f"probe-event-{tag}"
    elif "intent" in item or "condition" in item:
        item["condition"] = f"$session.params.probe_{tag.replace('-', '_')} = true"
    else:
        for field in ("display_name", "id", "value", "parameter", "key"):
            if isinstance(item.get(field), str):
                item[field] = f"probe_{tag}"
                break
        else:
            holder, at = _leaf(item) or (None, None)
            if holder is None:
                return text
            holder[at] = text
    return item


def _bind(data: Any, site: Site, tag: str) -> Any:
    """The edit as a function of references resolved in ``data`` now."""
    holder = _find(data, site.where)
    if site.action == "scalar":
        value = f"{holder[site.target]} ({tag})"
        return lambda: holder.__setitem__(site.target, value)
    item = next(x for x in holder if merge_identity(x, _key(site.where)) == site.target)
    if site.action == "insert":
        new = _new_item(item, tag, site.language)
        return lambda: holder.insert(_index(holder, item) + 1, new)
    if site.action == "remove":
        return lambda: holder.pop(_index(holder, item))
    if isinstance(item, str):
        return lambda: holder.__setitem__(_index(holder, item), f"{item} ({tag})")
    inner, at = _leaf(item) or (None, None)
    assert inner is not None
    value = f"{inner[at]} ({tag})"
    return lambda: inner.__setitem__(at, value)


def _index(items: list[Any], item: Any) -> int:
    return next(i for i, x in enumerate(items) if x is item or (isinstance(item, str) and x == item))


def applied(base: Any, *edits: tuple[Site, str]) -> Any:
    data = copy.deepcopy(base)
    bound = [_bind(data, site, tag) for site, tag in edits]
    for edit in bound:
        edit()
    return data


def _nested(a: tuple[Step, ...], b: tuple[Step, ...]) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


CORE_KINDS = (
    "transition_routes",
    "event_handlers",
    "training_phrases",
    "synonyms",
    "entities",
    "messages",
    "text",
    "parameters",
    "scalar",
)
"""The kinds every run covers (each in every language it has); other lists are drawn at random."""


def different_pairs(files: dict[str, Any], count: int, seed: int) -> list[Pair]:
    """``count`` pairs touching different items of one file: every other pair starts at one of
    :data:`CORE_KINDS` in turn (per language), the rest anywhere; half the second edits are in
    the same list or mapping as the first (neighbours, where line merges collide), half anywhere
    in the file."""
    rng = random.Random(seed)
    by_kind: dict[tuple[str, str | None], list[Site]] = {}
    in_file: dict[str, list[Site]] = {}
    for file, data in files.items():
        in_file[file] = sites(file, data)
        for site in in_file[file]:
            by_kind.setdefault((site.kind, site.language), []).append(site)
    kinds = sorted(by_kind, key=str)
    core = [k for k in kinds if k[0] in CORE_KINDS]
    out: list[Pair] = []
    while len(out) < count:
        kind = core[(len(out) // 2) % len(core)] if len(out) % 2 == 0 else rng.choice(kinds)
        first = rng.choice(by_kind[kind])
        others = [s for s in in_file[first.file] if not _nested(s.unit, first.unit)]
        near = [s for s in others if s.where == first.where]
        if near and rng.random() < 0.5:
            others = near
        if others:
            out.append(Pair(first.file, first, rng.choice(others), rng.randrange(1 << 30)))
    return out


def same_pairs(files: dict[str, Any], count: int, seed: int) -> list[Pair]:
    """``count`` pairs changing one value or item in two incompatible ways."""
    rng = random.Random(seed)
    pool = [s for file, data in files.items() for s in sites(file, data) if s.action in ("scalar", "modify")]
    out: list[Pair] = []
    for first in rng.sample(pool, count):
        second = first
        if first.action == "modify" and rng.random() < 0.5:
            second = Site(first.file, "remove", first.where, first.target, first.kind, first.language)
            if rng.random() < 0.5:
                first, second = second, first
        out.append(Pair(first.file, first, second, rng.randrange(1 << 30)))
    return out


@dataclass(frozen=True)
class Outcome:
    near: bool  # both edits in one list or mapping
    driver_clean: bool
    driver_matches: bool  # clean pairs: the merge equals both edits applied
    git_clean: bool
    marked_lines: int = 0  # conflicted pairs: lines between the markers, both sides
    whole_file: bool = False  # conflicted pairs: the whole file is one conflict


def versions(pair: Pair, base: Any) -> tuple[str, str, str, Any]:
    ours = applied(base, (pair.a, f"a{pair.seed}"))
    theirs = applied(base, (pair.b, f"b{pair.seed}"))
    both = applied(base, (pair.a, f"a{pair.seed}"), (pair.b, f"b{pair.seed}"))
    return yamlio.dump(ours), yamlio.dump(theirs), yamlio.dump(both), both


def measure(pair: Pair, base: Any, folder: Path, plain_git: bool = True) -> Outcome:
    """Merge the pair with the driver's merge (in-process: the same code ``merge-driver`` runs
    on the files, without a process per pair) and with ``git merge-file`` (plain git's text
    merge of one file)."""
    base_text = yamlio.dump(base)
    ours, theirs, both, _ = versions(pair, base)
    data = [yamlio.load(text, pair.file) for text in (base_text, ours, theirs)]
    merged = merge3(*data)
    clean = not has_conflicts(merged)
    text_clean = True
    if plain_git:
        paths = {name: folder / name for name in ("base", "ours", "theirs")}
        for name, text in (("base", base_text), ("ours", ours), ("theirs", theirs)):
            paths[name].write_text(text, encoding="utf-8")
        result = subprocess.run(
            ["git", "merge-file", "-q", str(paths["ours"]), str(paths["base"]), str(paths["theirs"])],
            check=False,
        )
        text_clean = result.returncode == 0
    near = pair.a.where == pair.b.where
    text = render(merged)
    blocks = text.split(OURS + "\n")[1:]
    marked = sum(block.split(THEIRS)[0].count("\n") - 1 for block in blocks)  # less the "=======" line
    whole = text.startswith(OURS + "\n") and text.endswith(THEIRS + "\n") and len(blocks) == 1
    return Outcome(near, clean, clean and text == both, text_clean, marked, whole)


def rates(files: dict[str, Any], different: int, same: int, seed: int) -> dict[str, Any]:
    """The figures: conflict rates of driver and plain git on both sets of pairs."""
    # Many small files: in memory where the system has it.
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        folder = Path(tmp)
        diff = [measure(p, files[p.file], folder) for p in different_pairs(files, different, seed)]
        same_out = [measure(p, files[p.file], folder) for p in same_pairs(files, same, seed)]
    return {
        "different_pairs": len(diff),
        "driver_conflicts": sum(not o.driver_clean for o in diff),
        "driver_wrong_merges": sum(o.driver_clean and not o.driver_matches for o in diff),
        "git_conflicts": sum(not o.git_clean for o in diff),
        "near_pairs": sum(o.near for o in diff),
        "near_git_conflicts": sum(o.near and not o.git_clean for o in diff),
        "same_pairs": len(same_out),
        "same_driver_conflicts": sum(not o.driver_clean for o in same_out),
        "same_git_conflicts": sum(not o.git_clean for o in same_out),
        # How much a conflict asks a reader to look at: lines between the markers (both sides).
        "same_marked_lines_median": statistics.median(o.marked_lines for o in same_out) if same_out else 0,
        "same_marked_lines_max": max((o.marked_lines for o in same_out), default=0),
        "same_whole_file_conflicts": sum(o.whole_file for o in same_out),
    }


def loaded(files_by_agent: dict[str, dict[str, bytes]]) -> dict[str, Any]:
    """Every resource file's data, keyed ``agent/relative path``."""
    return {
        f"{agent}/{path}": yamlio.load(text.decode("utf-8"), path)
        for agent, files in files_by_agent.items()
        for path, text in files.items()
    }
