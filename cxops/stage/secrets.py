"""A stage's secrets: where a ``secrets`` source may point, and reading its value at apply time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cxops.errors import ConfigError
from cxops.stage.value import Stage

# The CI system's and the cloud SDK's own variables (tokens, OIDC request credentials): never
# a secret source, whatever prefix a stage declares.
CI_ENV_PREFIXES = ("GITHUB_", "ACTIONS_", "RUNNER_", "GOOGLE_", "CLOUDSDK_")
_SOURCE_FORMS = "env:VARIABLE or file:PATH"


def resolve_secret(stage: Stage, placeholder: str, environ: Mapping[str, str] = os.environ) -> str:
    """The value of secret ``placeholder`` from its source in ``stage.secrets``.

    ``env:VAR`` reads the environment; ``file:PATH`` reads a UTF-8 file (relative to the repo
    root; ``~`` expanded), less one trailing line break, which editors and ``echo`` add. An
    unset variable, a missing, unreadable or non-UTF-8 file and an empty value are refused with
    a :class:`ConfigError` naming the stage file and key; no message holds the value.
    """
    path = ("secrets", placeholder)
    source = stage.secrets.get(placeholder)
    if source is None:
        raise ConfigError(
            f"no source for secret {placeholder!r}: add it under secrets as {_SOURCE_FORMS}",
            stage.location_of(path),
        )
    scheme, _, ref = source.partition(":")
    refusal = source_refusal(source, stage.secrets_env_prefix, stage.root, stage.secrets_dir)
    if refusal is not None:
        raise ConfigError(refusal, stage.location_of(path))
    if scheme == "env":
        value = environ.get(ref)
        if value is None:
            raise ConfigError(f"environment variable {ref} is not set", stage.location_of(path))
        if not value:
            raise ConfigError(f"environment variable {ref} is empty", stage.location_of(path))
        return value
    if scheme == "file":
        file = _secret_path(ref, stage.root)
        try:
            data = file.read_bytes()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ConfigError(f"cannot read secret file {ref}: {reason}", stage.location_of(path)) from None
        try:
            # The decode error's own message quotes the offending byte: a byte of the secret.
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"secret file {ref} is not UTF-8 text", stage.location_of(path)) from None
        if value.endswith("\n"):
            value = value[:-2] if value.endswith("\r\n") else value[:-1]
        if not value:
            raise ConfigError(f"secret file {ref} is empty", stage.location_of(path))
        return value
    # Only reachable for hand-built stages: the loader refuses other forms.
    raise ConfigError(f"must be {_SOURCE_FORMS}", stage.location_of(path))


def _secret_path(ref: str, root: Path | None) -> Path:
    file = Path(ref).expanduser()
    if not file.is_absolute():
        file = (root if root is not None else Path.cwd()) / file
    return file


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def source_refusal(source: str, env_prefix: str, root: Path | None, secrets_dir: str | None) -> str | None:
    """Why ``source`` may not be read by this stage, or None when it may (see ``secrets`` above).

    Paths are compared after ``~`` and symlinks are resolved, so neither ``..`` nor a link
    inside the repository reaches a file outside it."""
    scheme, _, ref = source.partition(":")
    if scheme == "env":
        if ref.startswith(CI_ENV_PREFIXES):
            return (
                f"env:{ref} is the CI system's own variable ({', '.join(p + '*' for p in CI_ENV_PREFIXES)}"
                " are never secret sources)"
            )
        if not ref.startswith(env_prefix):
            return f"env: variables must start with {env_prefix} (secrets_env_prefix); {ref} does not"
        return None
    if scheme == "file":
        folders = [(root if root is not None else Path.cwd()).resolve()]
        if secrets_dir is not None:
            folders.append(_secret_path(secrets_dir, root).resolve())
        where = _secret_path(ref, root).resolve()
        if not any(_inside(where, folder) for folder in folders):
            allowed = "the repository" + (f" or secrets_dir {secrets_dir}" if secrets_dir else "")
            return f"file:{ref} resolves outside {allowed}; secret files must lie inside it"
        return None
    return None
