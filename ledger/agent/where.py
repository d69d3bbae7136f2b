"""Where the control files are, found without the settings model: the light path (``packwatch
statusline`` and ``packwatch hook``) runs on every prompt and tool call, so it must not load pydantic.

The answer is the one ``Settings.control_dir`` gives (a test holds them to it): ``PACKWATCH_CONTROL_DIR``
when set (as the Code Puppy plugin reads it), else the folder of the first ledger, the ledgers coming
from ``PACKWATCH_LEDGERS`` (a JSON list or ``os.pathsep``-separated), else the TOML config's
``ledgers`` (``PACKWATCH_CONFIG``, else the user config folder), else the default ledger.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a few ms at import, and this runs on every tool call
    from typing import Any

APP = "packwatch"
DEFAULT_LEDGER = "~/.code_puppy/.codepuppy/usage.jsonl"
SUMMARY_FILE = "packwatch-summary.json"
QUOTA_FILE = "quota.jsonl"
EVENTS_FILE = "events.jsonl"
CONTROL_FILE = "control.json"


def config_path() -> Path:
    """The TOML config file, as ``ledger.settings.default_config_path`` finds it."""
    given = os.environ.get("PACKWATCH_CONFIG")
    if given:
        return Path(given)
    if sys.platform.startswith("linux"):  # platformdirs' XDG answer, without importing it (~10 ms)
        xdg, home = os.environ.get("XDG_CONFIG_HOME", ""), os.environ.get("HOME", "")
        if os.path.isabs(xdg):
            return Path(xdg) / APP / "config.toml"
        if os.path.isabs(home):
            return Path(home) / ".config" / APP / "config.toml"
    import platformdirs

    return platformdirs.user_config_path(APP) / "config.toml"


_read: dict[Path, dict[str, Any]] = {}


def read_config() -> dict[str, Any]:
    """The TOML config as a dict ({} when missing or unreadable: the light path never fails on it),
    read once per process."""
    path = config_path()
    if path in _read:
        return _read[path]
    try:
        raw = path.read_bytes()
    except OSError:
        raw = b""
    config: dict[str, Any] = {}
    if raw:
        import tomllib

        try:
            config = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            config = {}
    _read[path] = config
    return config


def _env_ledgers(value: str) -> list[str]:
    if value.lstrip().startswith("["):
        try:
            listed = json.loads(value)
        except ValueError:
            return []
        return [str(v) for v in listed] if isinstance(listed, list) else []
    return [v for v in value.split(os.pathsep) if v]


def first_ledger(config: dict[str, Any] | None = None) -> Path:
    """The first configured ledger: environment, then config file, then the default."""
    env = os.environ.get("PACKWATCH_LEDGERS")
    ledgers = _env_ledgers(env) if env is not None else None
    if not ledgers:
        config = read_config() if config is None else config
        listed = config.get("ledgers")
        if isinstance(listed, str):  # the settings split a string as they split the variable
            ledgers = _env_ledgers(listed)
        elif isinstance(listed, list):
            ledgers = [str(v) for v in listed]
    return Path((ledgers or [DEFAULT_LEDGER])[0]).expanduser()


def control_dir(config: dict[str, Any] | None = None) -> Path:
    """The folder holding control.json, events.jsonl, quota.jsonl and the summary."""
    given = os.environ.get("PACKWATCH_CONTROL_DIR")
    if given:
        return Path(given).expanduser()
    first = first_ledger(config)
    return first if first.is_dir() else first.parent
