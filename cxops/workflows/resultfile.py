"""A test result file (``cxops test -o``) on disk: written by ``cxops test``, read by the gate.

Apart from the test run itself (workflows/testrun.py), which reads a preview stage's pinned
agent through workflows/preview.py, which applies through workflows/apply.py, which reads
result files: this module is what apply needs of it, without the loop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cxops.core import testresults as tr
from cxops.core.testresults import TestRun
from cxops.errors import ConfigError, ValidationError
from cxops.repo.atomicfile import write_atomic


def save(run: TestRun, path: Path) -> None:
    write_atomic(path, run.to_json().encode("utf-8"), parents=True)


def load_results(path: Path) -> tuple[TestRun, dict[str, Any]]:
    """A result file (``cxops test -o``) as a value and as its raw data (for the hash check)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the test results: {err.strerror or err}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise ValidationError(f"{path}: not a JSON test result file ({err})") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: not a cxops test result file")
    return tr.from_data(data, str(path)), data
