"""The one-time code that claims a new install (``DATA_DIR/setup_code``, mode 0600).

While no account exists, the web server prints it in its start-up banner; whoever creates the
owner account must give it, so a stranger who reaches the port first can't claim the install.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from shared.config import private_file_once

FILENAME = "setup_code"


def path(data_dir: Path) -> Path:
    return Path(data_dir) / FILENAME


def ensure(data_dir: Path) -> str:
    """The current code, made once (race-safe when several processes start at once)."""
    return private_file_once(path(data_dir), lambda: f"{secrets.token_hex(4)}-{secrets.token_hex(4)}")


def matches(data_dir: Path, given: str) -> bool:
    target = path(data_dir)
    if not target.exists():
        return False
    return secrets.compare_digest(target.read_text().strip().encode(), given.strip().encode())


def discard(data_dir: Path) -> None:
    path(data_dir).unlink(missing_ok=True)
