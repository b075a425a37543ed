"""The aes-300 essays (../shared/datasets/aes-300) and the fixed train / held-out split.

The held-out split is the 100 essays whose sha256(id) sorts first; nothing is fitted or tuned on
them. The other 200 are the training split the feature model is fitted on.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "aes-300"
HELD_OUT = 100


def dataset_dir() -> Path:
    return Path(os.environ.get("AES_DIR", DEFAULT_DIR))


def load_essays(path: Path | None = None) -> list[dict]:
    f = (path or dataset_dir()) / "essays.jsonl"
    return [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def split(essays: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train, held_out)."""
    ranked = sorted(essays, key=lambda e: hashlib.sha256(e["id"].encode()).hexdigest())
    return ranked[HELD_OUT:], ranked[:HELD_OUT]
