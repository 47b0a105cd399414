"""Agents read straight from git objects (``git:REF`` / ``git:REF:AGENT``), no checkout: cxops
trees, and JSON packages as CX's git integration commits them.

Works in a shallow CI clone once the ref is fetched: only ``git ls-tree`` and
``git cat-file --batch`` are used.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from cxops.errors import ConfigError, Location, ValidationError
from cxops.package.caps import ReadCaps

# The mode git records for a symbolic link (gitformat-index: "binary 1010, symbolic link").
_LINK_MODE = "120000"


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], input=data, capture_output=True, check=False, timeout=120
        )
    except FileNotFoundError as missing:
        raise ConfigError("git is not installed; git: sources need it") from missing
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
    return done.stdout


class NoAgentAtRef(ConfigError):
    """The commit exists and holds no agent (yet): for a diff, an empty side."""


def parse(spec: str) -> tuple[str, str | None]:
    """``git:REF`` or ``git:REF:AGENT`` -> (ref, agent). Agent names hold no colon."""
    rest = spec[len("git:") :]
    ref, _, agent = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not ref:
        raise ConfigError(f"{spec!r}: expected git:REF or git:REF:AGENT")
    return ref, agent or None


@dataclass(frozen=True)
class GitAgent:
    """An agent read from git objects: a cxops tree, or a JSON package (CX's own git integration
    pushes the package into a branch)."""

    kind: str  # "tree" or "package"
    path: str  # folder in the repository ("" for the root)
    files: dict[str, bytes]  # relative to ``path``


def _listing(root: Path, ref: str, prefix: str) -> list[tuple[str, str]]:
    """(path relative to ``prefix``, blob sha) of every file below ``prefix`` at ``ref``."""
    args = ["ls-tree", "-r", "-l", "-z", ref]
    if prefix:
        args += ["--", prefix]
    listing = _git(root, *args)
    caps = ReadCaps.from_env()
    entries = []
    for record in listing.decode("utf-8").split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, sha, size = meta.split()
        if kind == "blob" and path.startswith(prefix):
            if mode == _LINK_MODE:
                # git stores a link as a blob of its target's path: never read as the file.
                raise ValidationError("is a symbolic link", Location(f"git:{ref}:{path}"))
            caps.check_file(int(size), Location(f"git:{ref}:{path}"))
            entries.append((path[len(prefix) :], sha))
    return entries


def _blobs(root: Path, entries: list[tuple[str, str]]) -> dict[str, bytes]:
    batch = _git(root, "cat-file", "--batch", data="".join(f"{sha}\n" for _, sha in entries).encode())
    files: dict[str, bytes] = {}
    at = 0
    for path, _ in entries:
        header_end = batch.index(b"\n", at)
        size = int(batch[at:header_end].split()[2])
        files[path] = batch[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return files


def _has(root: Path, ref: str, path: str) -> bool:
    try:
        _git(root, "cat-file", "-e", f"{ref}:{path}")
    except ConfigError:
        return False
    return True


def read_agent(root: Path, spec: str) -> GitAgent:
    """``git:REF`` — the one tree under ``agents/``, or a JSON package at the repository root;
    ``git:REF:NAME`` — the tree ``agents/NAME/``, or a folder NAME holding a tree (agent.yaml)
    or a JSON package (agent.json)."""
    ref, name = parse(spec)
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ConfigError as bad:
        try:
            _git(root, "rev-parse", "--git-dir")
        except ConfigError:
            raise ConfigError(f"{spec!r}: {root} is not in a git repository") from bad
        raise ConfigError(
            f"{spec!r}: no commit {ref!r} in the git repository at {root} "
            "(a branch, tag or commit; in a shallow CI clone, fetch it first)"
        ) from bad
    if name is None:
        listing = _git(root, "ls-tree", "-d", "--name-only", "-z", ref, "agents/")
        agents = sorted(p.rsplit("/", 1)[-1] for p in listing.decode().split("\0") if p)
        if not agents and _has(root, ref, "agent.json"):
            return GitAgent("package", "", _blobs(root, _listing(root, ref, "")))
        if not agents:
            raise NoAgentAtRef(f"{spec!r}: no agent at {ref} (no agents/ tree, no agent.json)")
        if len(agents) != 1:
            found = ", ".join(agents)
            raise ConfigError(f"{spec!r}: name the agent, git:{ref}:AGENT (agents at {ref}: {found})")
        name = agents[0]
    candidates = [(f"agents/{name}/", "agent.yaml", "tree"), (f"{name.strip('/')}/", "agent.yaml", "tree")]
    candidates.append((f"{name.strip('/')}/", "agent.json", "package"))
    for prefix, marker, kind in candidates:
        if _has(root, ref, prefix + marker):
            return GitAgent(kind, prefix.rstrip("/"), _blobs(root, _listing(root, ref, prefix)))
    message = f"{spec!r}: no agents/{name}/, and no agent tree or JSON package in {name}/ at {ref}"
    # Only a commit with no agent anywhere is empty; one holding others names a wrong agent.
    paths = _git(root, "ls-tree", "-r", "--name-only", "-z", ref).decode("utf-8").split("\0")
    if any(path.rsplit("/", 1)[-1] in ("agent.yaml", "agent.json") for path in paths):
        raise ConfigError(message)
    raise NoAgentAtRef(message)


def tree_files(root: Path, spec: str) -> tuple[str, dict[str, bytes]]:
    """The files of an agent tree at a ref (see :func:`read_agent`): (its name, path -> bytes)."""
    found = read_agent(root, spec)
    if found.kind != "tree":
        raise ConfigError(
            f"{spec!r}: {found.path or 'the repository root'} holds a JSON package, not an agent tree"
        )
    return found.path.rsplit("/", 1)[-1], found.files


def commit_of(root: Path, ref: str = "HEAD") -> str | None:
    """The commit ``ref`` names, or None outside a git repository (or without git)."""
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip() or None
    except ConfigError:
        return None


def is_dirty(root: Path, path: str) -> bool:
    """Whether ``path`` has changes not committed (False outside git)."""
    try:
        return bool(_git(root, "status", "--porcelain", "--", path).strip())
    except ConfigError:
        return False


def current_branch(root: Path) -> str:
    """The branch checked out at ``root``; refused on a detached HEAD (name the branch instead)."""
    try:
        name = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD").decode().strip()
    except ConfigError:
        raise ConfigError(
            f"{root}: no branch is checked out (detached HEAD, or not a git repository); give --branch NAME"
        ) from None
    return name


def changed_paths(root: Path, since: str) -> list[str]:
    """Paths (relative to ``root``, ``/``-separated) that differ between the merge base of
    ``since`` and HEAD and the work tree, untracked files included: what a branch changed, as
    a pull request shows it, plus what is not committed yet. A rename counts both paths."""
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}")
    except ConfigError:
        raise ConfigError(f"--since {since}: no such commit here (in CI, fetch it first)") from None
    listed = _git(root, "diff", "--name-only", "--no-renames", "--relative", "-z", "--merge-base", since)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    paths = {
        raw.decode("utf-8", "surrogateescape") for raw in (listed + b"\0" + untracked).split(b"\0") if raw
    }
    return sorted(paths)
