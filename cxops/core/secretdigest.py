"""Digests of secret values in a plan: HMAC-SHA256 keyed by a random salt the plan carries.

A plan records what each secret resolved to when it was made, so that apply can refuse a
secret that changed since; and it folds the live agent's credential values into its live
fingerprint, so that a rotation in CX between plan and apply is seen. An unsalted sha256 of a
value lets anyone who reads the plan (a PR comment, a CI artifact) test guesses of a weak
secret offline, with precomputed tables, and see that two stages or two plans share one.

The key is a per-plan random salt stored in the plan, not ``CXOPS_APPROVAL_KEY``: plans are
made where that key is often absent by design (a PR job, an unprotected stage, a laptop), and
apply must recompute the very digests the plan holds from the plan alone. A digest keyed by
the approval key would make the check depend on whether, and which, key was set at both ends
(a rotated key would read as a changed secret). The salt is covered by the plan hash, so
approvals bind to it. What it does not do: make a weak secret strong. One plan's digest can
still be brute-forced against that plan's salt; it stops tables, linking plans, and reuse of
one guess across plans.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "hmac-sha256:"
SALT_BYTES = 32


def new_salt() -> str:
    """A fresh salt for one plan, hex (it is stored in the plan file)."""
    return secrets.token_hex(SALT_BYTES)


def digest(value: str, salt: str) -> str:
    """The digest of one secret value under a plan's salt."""
    return PREFIX + hmac.new(bytes.fromhex(salt), value.encode(), hashlib.sha256).hexdigest()


def matches(recorded: str, value: str, salt: str) -> bool:
    """Whether ``value`` is the value ``recorded`` was made from (constant time)."""
    return hmac.compare_digest(recorded, digest(value, salt))
