"""Git histories of raw CX JSON packages built from corpus agents, as CX's git integration
pushes them: one repository per agent, the package at the root, one commit per push.

    .venv/bin/python -m bench.diff_history DIR [--agent NAME ...]

Commits, each a re-export of the one before (files not touched keep their bytes; edited files
are written the way CX writes JSON, cxops/package/jsonfmt.py):

1. ``export``: the corpus export as it is;
2. ``[content] phrase added``: one training phrase in the default language of one intent;
3. ``[content] message reworded``: two words of one page message changed;
4. ``[content] route added``: a condition route to another page of the same flow;
5. ``[content] page added``: a copy of a page under a new name (its ids regenerated);
6. ``[content] page removed``: the page fewest routes target, and those routes;
7. ``[noise] key order``: the keys of every object of a few files in another order;
8. ``[noise] uuids``: the ids (``name``) of a few files' routes and handlers regenerated;
9. ``[noise] float32``: every float written the other way CX writes it (``0.30000001`` <-> ``0.3``);
10. ``[content] intent renamed``: the intent most routes name, and every route naming it;
11. ``[content] pages swapped names``: two pages of a flow swap names, the routes to them follow;
12. ``[content] many small edits``: one message reworded in each of up to a dozen pages;
13. ``[content] intent added`` / 14. ``[content] intent removed``: an intent added or removed whole
    (the removed one named by no route or test case);
15. ``[noise] key order and a phrase added``: a reordering re-export carrying one content edit.

What real histories hold that the first nine lack (issue 27): resources added or removed whole,
many small edits over many files, renames of intents many routes name, swapped renames.

A subject starts with ``[content]`` or ``[noise]``: bench/diff_readability.py reports where its
own classification disagrees. Agents lacking what an edit needs get no commit for that edit.
Seeded: the same corpus gives the same histories.
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cxops.package import jsonfmt
from cxops.package.files import is_export_path

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT.parent / "shared" / "corpus"
AGENTS = (
    "rohitkumar404__flight-booking-repo",
    "Onurzkan__qatar-airways",
    "alrtas__optus-dev",
    "dsgov-acme__cwb03-ccai-agent__agent",
    "dthejaka__agw-chatbot",
    "tadeupan86__dialogflowcx",
)
NOISY_FILES = 5  # files a noise re-export touches (key order, ids)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

Files = dict[str, bytes]
Edit = Callable[[Files, random.Random], Files | None]


def _json(files: Files, path: str) -> Any:
    return jsonfmt.loads(files[path], path)


def _put(files: Files, path: str, data: Any) -> None:
    files[path] = jsonfmt.dumps(data).encode("utf-8")


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pages(files: Files) -> list[str]:
    return sorted(p for p in files if re.fullmatch(r"flows/[^/]+/pages/[^/]+\.json", p))


def _texts(value: Any) -> Iterator[list[Any]]:
    """Every ``text.text`` list of a message below ``value``."""
    if isinstance(value, dict):
        inner = value.get("text")
        if isinstance(inner, dict) and isinstance(inner.get("text"), list):
            yield inner["text"]
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def phrase_added(files: Files, rng: random.Random) -> Files | None:
    lang = _json(files, "agent.json").get("defaultLanguageCode", "en")
    found = sorted(
        p for p in files if p.endswith(f"/trainingPhrases/{lang}.json") and "Default Negative" not in p
    )
    if not found:
        return None
    path = rng.choice(found)
    data = _json(files, path)
    data["trainingPhrases"].append(
        {"parts": [{"text": "is there anything new for me today"}], "repeatCount": 1, "languageCode": lang}
    )
    _put(files, path, data)
    return files


def message_reworded(files: Files, rng: random.Random) -> Files | None:
    candidates = []
    for path in _pages(files):
        for texts in _texts(_json(files, path)):
            candidates += [
                (path, i) for i, t in enumerate(texts) if isinstance(t, str) and len(t.split()) >= 4
            ]
    if not candidates:
        return None
    path, _ = rng.choice(candidates)
    data = _json(files, path)
    for texts in _texts(data):
        for i, text in enumerate(texts):
            if isinstance(text, str) and len(text.split()) >= 4:
                words = text.split(" ")
                words[1:2] = ["kindly", words[1]]
                words[-1] = "now."
                texts[i] = " ".join(words)
                _put(files, path, data)
                return files
    return None


def route_added(files: Files, rng: random.Random) -> Files | None:
    pages = _pages(files)
    by_flow: dict[str, list[str]] = {}
    for path in pages:
        by_flow.setdefault(path.split("/")[1], []).append(path)
    flows = sorted(f for f, ps in by_flow.items() if len(ps) >= 2)
    if not flows:
        return None
    source, target = rng.sample(by_flow[rng.choice(flows)], 2)
    data = _json(files, source)
    route = {
        "condition": '$session.params.bench_flag = "on"',
        "targetPage": _json(files, target)["displayName"],
        "name": _new_id(rng),
    }
    data.setdefault("transitionRoutes", []).append(route)
    _put(files, source, data)
    return files


def _regenerate_ids(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        return {
            k: _new_id(rng)
            if k == "name" and isinstance(v, str) and _UUID.match(v)
            else _regenerate_ids(v, rng)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_regenerate_ids(v, rng) for v in value]
    return value


def page_added(files: Files, rng: random.Random) -> Files | None:
    pages = _pages(files)
    if not pages:
        return None
    path = rng.choice(pages)
    data = _regenerate_ids(copy.deepcopy(_json(files, path)), rng)
    data["displayName"] = f"{data['displayName']} copy"
    new = path.rsplit("/", 1)[0] + f"/{data['displayName']}.json"
    if new in files:
        return None
    _put(files, new, data)
    return files


def _drop_routes_to(value: Any, page: str) -> Any:
    if isinstance(value, dict):
        return {k: _drop_routes_to(v, page) for k, v in value.items()}
    if isinstance(value, list):
        return [
            _drop_routes_to(v, page)
            for v in value
            if not (
                isinstance(v, dict) and v.get("targetPage") == page and ("intent" in v or "condition" in v)
            )
        ]
    return value


def page_removed(files: Files, rng: random.Random) -> Files | None:
    pages = [p for p in _pages(files) if not p.endswith(" copy.json")]
    if not pages:
        return None

    def references(path: str) -> int:
        name = jsonfmt.dumps(_json(files, path)["displayName"]).strip()
        folder = path.split("/pages/")[0] + "/"
        return sum(files[p].count(f'"targetPage": {name}'.encode()) for p in files if p.startswith(folder))

    path = min(pages, key=lambda p: (references(p), p))
    name = _json(files, path)["displayName"]
    del files[path]
    folder = path.split("/pages/")[0] + "/"
    for other in sorted(p for p in files if p.startswith(folder) and p.endswith(".json")):
        data = _json(files, other)
        kept = _drop_routes_to(data, name)
        if kept != data:
            _put(files, other, kept)
    return files


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _some(files: Files, rng: random.Random, holding: bytes) -> list[str]:
    found = sorted(p for p in files if p.endswith(".json") and holding in files[p])
    return rng.sample(found, min(NOISY_FILES, len(found)))


def key_order(files: Files, rng: random.Random) -> Files | None:
    for path in _some(files, rng, b"{"):
        _put(files, path, _shuffled(_json(files, path), rng))
    return files


def uuids(files: Files, rng: random.Random) -> Files | None:
    for path in _some(files, rng, b'"name": "'):
        data = _json(files, path)
        top = data.get("name")
        regenerated = _regenerate_ids(data, rng)
        if isinstance(regenerated, dict) and top is not None:
            regenerated["name"] = top  # the resource's own id: other files refer to it
        _put(files, path, regenerated)
    return files


def _floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, float) and not value.is_integer():
        noisy = jsonfmt.float32_json(value)
        return noisy if noisy != value else jsonfmt.clean_float32(value)
    return value


def float32(files: Files, rng: random.Random) -> Files | None:
    changed = False
    for path in sorted(p for p in files if p.endswith(".json")):
        data = _json(files, path)
        noisy = _floats(data)
        if noisy != data:
            _put(files, path, noisy)
            changed = True
    return files if changed else None


def _reference_files(files: Files) -> list[str]:
    """Files whose routes and handlers name intents and pages by display name."""
    return sorted(p for p in files if p.startswith("flows/") and p.endswith(".json"))


def _renamed_refs(value: Any, key: str, names: dict[str, str]) -> Any:
    """``value`` with every ``key: OLD`` (an intent or a target page) named ``names[OLD]``."""
    if isinstance(value, dict):
        return {
            k: names.get(v, v) if k == key and isinstance(v, str) else _renamed_refs(v, key, names)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_renamed_refs(v, key, names) for v in value]
    return value


def _rename_references(files: Files, key: str, names: dict[str, str], only: str = "") -> None:
    for path in _reference_files(files):
        if not path.startswith(only):
            continue
        data = _json(files, path)
        renamed = _renamed_refs(data, key, names)
        if renamed != data:
            _put(files, path, renamed)


def intent_renamed(files: Files, rng: random.Random) -> Files | None:
    """The intent most routes name, renamed, and every route naming it (as the console does)."""
    intents = sorted(
        {p.split("/")[1] for p in files if p.startswith("intents/")}
        - {"Default Welcome Intent", "Default Negative Intent"}
    )
    if not intents:
        return None

    def uses(name: str) -> int:
        needle = f'"intent": {jsonfmt.dumps(name).strip()}'.encode()
        return sum(files[p].count(needle) for p in _reference_files(files))

    old = max(intents, key=lambda n: (uses(n), n))
    if uses(old) < 2:
        return None
    new = f"{old}.renamed"
    for path in sorted(p for p in files if p.startswith(f"intents/{old}/")):
        data = files.pop(path)
        rest = path.removeprefix(f"intents/{old}/")
        rest = f"{new}.json" if rest == f"{old}.json" else rest
        files[f"intents/{new}/{rest}"] = data
    body = _json(files, f"intents/{new}/{new}.json")
    body["displayName"] = new
    _put(files, f"intents/{new}/{new}.json", body)
    _rename_references(files, "intent", {old: new})
    return files


def pages_swapped(files: Files, rng: random.Random) -> Files | None:
    """Two pages of one flow swap names, and the routes to them follow (two renames at once)."""
    by_flow: dict[str, list[str]] = {}
    for path in _pages(files):
        by_flow.setdefault(path.split("/")[1], []).append(path)
    flows = sorted(f for f, ps in by_flow.items() if len(ps) >= 2)
    if not flows:
        return None

    def alike(one: str, other: str) -> bool:
        # Pages sharing most of their lines swap as mostly-noise in git: not the case measured.
        a, b = set(files[one].splitlines()), set(files[other].splitlines())
        return len(a & b) * 2 > min(len(a), len(b))

    # The two largest pages of a flow, of the first flow whose two are not alike.
    rng.shuffle(flows)
    for flow in flows:
        pages = sorted(by_flow[flow], key=lambda p: (-len(files[p]), p))
        if not alike(pages[0], pages[1]):
            break
    else:
        return None
    first, second = sorted(pages[:2])
    a, b = _json(files, first), _json(files, second)
    a_name, b_name = a["displayName"], b["displayName"]
    a["displayName"], b["displayName"] = b_name, a_name
    # An export names a page's file by its display name: each file now holds the other page.
    _put(files, first, b)
    _put(files, second, a)
    _rename_references(files, "targetPage", {a_name: b_name, b_name: a_name}, f"flows/{first.split('/')[1]}/")
    return files


def many_small_edits(files: Files, rng: random.Random) -> Files | None:
    """One message reworded in each of up to a dozen pages: a review of a copy edit."""
    edited = 0
    for path in _pages(files):
        data = _json(files, path)
        done = False
        for texts in _texts(data):
            for i, text in enumerate(texts):
                if isinstance(text, str) and len(text.split()) >= 4 and not done:
                    texts[i] = text.rstrip(".!?") + ", thank you."
                    done = True
        if done:
            _put(files, path, data)
            edited += 1
        if edited == 12:
            break
    return files if edited >= 3 else None


def intent_added(files: Files, rng: random.Random) -> Files | None:
    """A new intent with a few training phrases: a resource added whole."""
    lang = _json(files, "agent.json").get("defaultLanguageCode", "en")
    name = "bench.opening_hours"
    if any(p.startswith(f"intents/{name}/") for p in files):
        return None
    _put(
        files, f"intents/{name}/{name}.json", {"name": _new_id(rng), "displayName": name, "priority": 500000}
    )
    phrases = ["when are you open", "what are your opening hours", "are you open on sundays"]
    _put(
        files,
        f"intents/{name}/trainingPhrases/{lang}.json",
        {
            "trainingPhrases": [
                {"id": _new_id(rng), "parts": [{"text": t}], "repeatCount": 1, "languageCode": lang}
                for t in phrases
            ]
        },
    )
    return files


def intent_removed(files: Files, rng: random.Random) -> Files | None:
    """An intent no route names, removed whole."""
    intents = sorted(
        {p.split("/")[1] for p in files if p.startswith("intents/")}
        - {"Default Welcome Intent", "Default Negative Intent"}
    )
    unused = [
        n
        for n in intents
        if not any(
            f'"intent": {jsonfmt.dumps(n).strip()}'.encode() in files[p] for p in _reference_files(files)
        )
        and not any(n.encode() in files[p] for p in files if p.startswith("testCases/"))
    ]
    if not unused:
        return None
    name = rng.choice(unused)
    for path in [p for p in files if p.startswith(f"intents/{name}/")]:
        del files[path]
    return files


def key_order_and_phrase(files: Files, rng: random.Random) -> Files | None:
    """A re-export with its keys reordered that also carries one added phrase."""
    after = phrase_added(key_order(files, rng) or files, rng)
    return after


EDITS: tuple[tuple[str, Edit], ...] = (
    ("[content] phrase added", phrase_added),
    ("[content] message reworded", message_reworded),
    ("[content] route added", route_added),
    ("[content] page added", page_added),
    ("[content] page removed", page_removed),
    ("[noise] key order", key_order),
    ("[noise] uuids", uuids),
    ("[noise] float32", float32),
    ("[content] intent renamed", intent_renamed),
    ("[content] pages swapped names", pages_swapped),
    ("[content] many small edits", many_small_edits),
    ("[content] intent added", intent_added),
    ("[content] intent removed", intent_removed),
    ("[noise] key order and a phrase added", key_order_and_phrase),
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _write(repo: Path, before: Files, after: Files) -> None:
    for path in before.keys() - after.keys():
        (repo / path).unlink()
    for path, data in after.items():
        if before.get(path) != data:
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_bytes(data)


def read_export(folder: Path) -> Files:
    return {
        rel: p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and is_export_path(rel := p.relative_to(folder).as_posix())
    }


def build(out: Path, agents: tuple[str, ...] = AGENTS, corpus: Path = CORPUS, seed: int = 14) -> list[Path]:
    """One git repository per agent under ``out``; returns their paths."""
    repos = []
    for name in agents:
        rng = random.Random(f"{seed}:{name}")
        repo = out / name
        repo.mkdir(parents=True)
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "config", "user.email", "bench@cxops.invalid")
        _git(repo, "config", "user.name", "bench")
        files = read_export(corpus / name)
        _write(repo, {}, files)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "export")
        for subject, edit in EDITS:
            after = edit(dict(files), rng)
            if after is None or after == files:
                continue
            _write(repo, files, after)
            files = after
            _git(repo, "add", "-A")
            _git(repo, "commit", "-q", "-m", subject)
        repos.append(repo)
    return repos


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.diff_history", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="an empty or missing folder")
    parser.add_argument("--agent", action="append", help=f"corpus agent (default: {', '.join(AGENTS)})")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    for repo in build(args.out, tuple(args.agent or AGENTS)):
        print(repo)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
