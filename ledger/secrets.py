"""Keeping API keys out of everything packwatch stores or shows.

Text that may hold a key (an error message, a URL, a provider's error body, a Code Puppy
traceback) goes through ``scrub`` before it reaches the store, the screen or a log line. It removes
the exact keys packwatch was given, anything shaped like a provider key, and credentials in URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# Where each provider's key is looked for in the environment (the names the providers' SDKs use).
KEY_ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "cerebras": ("CEREBRAS_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
}

# Shapes of provider keys, so a key packwatch was never told about is masked too: OpenAI
# (sk-..., sk-proj-...), Anthropic (sk-ant-...), OpenRouter (sk-or-...), Cerebras (csk-...),
# Google (AIza...), and bearer tokens quoted in error text.
_KEY_SHAPES = re.compile(
    r"""(?x)
    \b(?:sk|csk|rk|pk)-[A-Za-z0-9_\-]{12,}
    | \bAIza[0-9A-Za-z_\-]{20,}
    | (?i:bearer)\s+[A-Za-z0-9._\-]{12,}
    """
)
# key=..., api_key=..., token=... in query strings or text
_KEY_PARAMS = re.compile(r"(?i)\b((?:api[_-]?)?key|token|access_token|secret)=([^&\s\"']+)")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]+@")


def scrub(text: str | None, secrets: Iterable[str] = ()) -> str | None:
    """``text`` with every known secret, key-shaped string and URL credential masked."""
    if not text:
        return text
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _KEY_SHAPES.sub(MASK, text)
    text = _KEY_PARAMS.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return _URL_USERINFO.sub(lambda m: m.group(1), text)


def safe_url(url: str) -> str:
    """Scheme, host and path only: query strings and user info may carry a key."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # a malformed URL (bad port, bad brackets) is still shown, without secrets
        return scrub(url.split("?", 1)[0].split("#", 1)[0]) or ""
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
