"""Agent trees read straight from git objects (``git:REF`` / ``git:REF:AGENT``), no checkout.

Works in a shallow CI clone once the ref is fetched: only ``git ls-tree`` and
``git cat-file --batch`` are used.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from cxops.errors import ConfigError


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


def parse(spec: str) -> tuple[str, str | None]:
    """``git:REF`` or ``git:REF:AGENT`` -> (ref, agent). Agent names hold no colon."""
    rest = spec[len("git:") :]
    ref, _, agent = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not ref:
        raise ConfigError(f"{spec!r}: expected git:REF or git:REF:AGENT")
    return ref, agent or None


def tree_files(root: Path, spec: str) -> tuple[str, dict[str, bytes]]:
    """The files of ``agents/<agent>/`` at the ref: (agent, relative path -> bytes)."""
    ref, agent = parse(spec)
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if agent is None:
        listing = _git(root, "ls-tree", "-d", "--name-only", "-z", ref, "agents/")
        agents = sorted(p.rsplit("/", 1)[-1] for p in listing.decode().split("\0") if p)
        if len(agents) != 1:
            found = ", ".join(agents) or "none"
            raise ConfigError(f"{spec!r}: name the agent, git:{ref}:AGENT (agents at {ref}: {found})")
        agent = agents[0]
    prefix = f"agents/{agent}/"
    listing = _git(root, "ls-tree", "-r", "-z", ref, "--", prefix)
    entries = []
    for record in listing.decode("utf-8").split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        _, kind, sha = meta.split()
        if kind == "blob":
            entries.append((path[len(prefix) :], sha))
    if not entries:
        raise ConfigError(f"{spec!r}: no agents/{agent}/ at {ref}")
    batch = _git(root, "cat-file", "--batch", data="".join(f"{sha}\n" for _, sha in entries).encode())
    files: dict[str, bytes] = {}
    at = 0
    for path, _ in entries:
        header_end = batch.index(b"\n", at)
        size = int(batch[at:header_end].split()[2])
        files[path] = batch[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return agent, files


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
