"""What a tuned encoder was trained on: the ``tuned.json`` `navsearch tune` writes into the
model folder it saves. Read here (not in navsearch/tune/) so the model id and the index
manifest can name the training without importing the training code."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

TUNED_FILE = "tuned.json"
TUNED_FORMAT = "navsearch-tuned/1"


def training_of(model_path: str | Path) -> dict[str, Any] | None:
    """The training record of a model folder, or None for a model `navsearch tune` did not
    write (a package, a name, a folder without ``tuned.json``, an unreadable record)."""
    path = Path(model_path) / TUNED_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("format") == TUNED_FORMAT else None


def training_tag(record: dict[str, Any]) -> str:
    """A short hash of the training record: two tunings into the same folder name get
    different model ids, so an index never mixes vectors of both."""
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:12]
