"""Keeping secrets out of everything packwatch stores or shows: scrubbed once, at the door.

Every text that may hold a secret (a ledger line's ``error``, an event's ``detail``, a rejected line's
excerpt, Code Puppy's errors.log, a provider's answer to a probe) goes through ``scrub`` before it
reaches the store, so no screen, report or log line can show what the store never kept. ``scrub``
removes, in this order, and shows ``****`` where it did:

1. the exact keys packwatch was given (config endpoints, the providers' environment variables);
2. credentials by where they sit: ``Bearer …``, ``x-api-key: …``, ``"api_key": "…"``, ``password=…``,
   ``key=``/``token=`` query parameters, ``user:password@`` in URLs;
3. credentials by their shape: the model providers' keys (OpenAI, Anthropic, OpenRouter, Cerebras,
   Google, xAI, Groq, Hugging Face) and every pattern of ``detect-secrets``' regex plugins (AWS,
   GitHub, GitLab, Slack, Stripe, Twilio, SendGrid, npm, PyPI, JWTs, private keys, …) — a maintained
   set rather than our own guesses. Loading it costs ~150 ms, so it is loaded only for a text that
   ``might_hold`` a secret (a long token-like run, a keyword, a URL with credentials).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "****"

# Where each provider's key is looked for in the environment (the names the providers' SDKs use).
KEY_ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "cerebras": ("CEREBRAS_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
}

# Names a credential goes by: api_key, x-api-key, aws_secret_access_key, client_secret, auth_token, ...
_SECRET_WORDS = r"[A-Za-z0-9_-]*(?:api[_-]?key|apikey|access[_-]?key|private[_-]?key|secret|token|password|passwd|" \
                r"pwd|authorization|credential)[A-Za-z0-9_-]*"
# A secret by where it sits: the value after a header, a JSON key, an assignment or a query parameter.
_BY_PLACE = [
    re.compile(r"(?i)\b(bearer|basic|token)\s+([A-Za-z0-9._~+/=\-]{6,})"),
    # (a backslash may escape the quotes: a JSON text inside a JSON string)
    re.compile(rf"""(?i)(["']?\b{_SECRET_WORDS}\\?["']?\s*[:=]\s*\\?["']?)(?!bearer\b|basic\b)"""
               rf"""(?=[^"'\\\s,;&}}]*[A-Za-z])([^"'\\\s,;&}}]{{4,}})"""),
    re.compile(r"(?i)([?&](?:key|api_key|apikey|token|access_token|sig|signature)=)([^&\s\"'#]+)"),
]
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]+@")
# Model providers' keys, which detect-secrets does not all know: sk-… (OpenAI, Anthropic sk-ant-,
# OpenRouter sk-or-), csk- (Cerebras), AIza… (Google), xai- (xAI), gsk_ (Groq), hf_ (Hugging Face).
_PROVIDER_SHAPES = re.compile(
    r"\b(?:sk|csk|rk|pk|xai)-[A-Za-z0-9_\-]{12,}|\bAIza[0-9A-Za-z_\-]{20,}|\b(?:gsk|hf)_[A-Za-z0-9]{20,}"
    r"|\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"  # a JWT, all three parts
    r"|-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----.*?(?:-----END [A-Z ]*PRIVATE KEY( BLOCK)?-----|\Z)", re.S)
PREFILTER_SQL = (rf"(?i)[A-Za-z0-9+/_=\-]{{16,}}|://[^\s/@]+@|PRIVATE KEY|{_SECRET_WORDS}|bearer|[?&]sig="
                 r"|\\u[0-9a-f]{4}")  # (a JSON escape may split a key into short runs)
"""``might_hold`` as a pattern DuckDB (RE2) runs too, so SQL ingest calls the scrubber only where needed."""
NAME_PREFILTER_SQL = (r"(?i)\b(?:sk|csk|rk|pk|xai)-[A-Za-z0-9_\-]{12,}|AIza[0-9A-Za-z_\-]{20,}"
                      r"|\b(?:gsk|hf)_[A-Za-z0-9]{20,}|eyJ[A-Za-z0-9_\-]+\.|\b(?:AKIA|ASIA)[0-9A-Z]{16}|\bgh[pousr]_"
                      r"|github_pat_|glpat-|xox[abposr]-"
                      r"|_live_|\bnpm_|pypi-|\bSG\.|://[^\s/@]+@|PRIVATE KEY|bearer|" + _SECRET_WORDS)
"""For names and ids (a model, a session, a request id), which are often long token-like runs: only
keys by their shape or their name (the generic long run of ``PREFILTER_SQL`` would match them all)."""
_MIGHT_HOLD = re.compile(PREFILTER_SQL)


@functools.cache
def _maintained_patterns() -> tuple[re.Pattern[str], ...]:
    """Every regex of detect-secrets' regex-based plugins (its entropy and keyword heuristics are not
    used: they flag ordinary words), imported on first need."""
    import importlib
    import pkgutil

    import detect_secrets.plugins as plugins
    from detect_secrets.plugins.base import RegexBasedDetector

    found: list[re.Pattern[str]] = []
    for info in pkgutil.iter_modules(plugins.__path__):
        module = importlib.import_module(f"{plugins.__name__}.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, RegexBasedDetector) and value is not RegexBasedDetector
                    and value.__name__ != "IPPublicDetector"):  # an IP address is not a secret
                found.extend(p for p in getattr(value, "denylist", ()) if isinstance(p, re.Pattern))
    return tuple(dict.fromkeys(found))


def might_hold(text: str) -> bool:
    """Cheap: whether ``text`` is worth scrubbing at all (most error texts are not)."""
    return bool(_MIGHT_HOLD.search(text))


def scrub(text: str | None, secrets: Iterable[str] = ()) -> str | None:
    """``text`` with every known secret, placed credential and key-shaped string masked."""
    if not text:
        return text
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    if not might_hold(text):
        return text
    for pattern in _BY_PLACE:  # keep what names the secret, mask the value
        text = pattern.sub(lambda m: m.group(0)[: m.start(2) - m.start()] + MASK, text)
    text = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _PROVIDER_SHAPES.sub(MASK, text)
    for pattern in _maintained_patterns():
        text = pattern.sub(MASK, text)
    return text


EXCERPT_CHARS = 160
"""What a rejected line shows of itself."""
EXCERPT_SCAN = 2000
"""How much of a line its excerpt is made from: scrubbed first, then cut (a cut key is not recognised)."""
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\\/\"bfnrt])")
_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescaped(text: str) -> str:
    """JSON string escapes undone (``sk-\\u0070roj`` is ``sk-proj``), as a reader of the line would see it;
    a surrogate's escape stays (alone it is no character the store can hold)."""
    def undo(m: re.Match) -> str:
        if m.group(1) is None:
            return _SIMPLE.get(m.group(2), m.group(2))
        point = int(m.group(1), 16)
        return m.group(0) if 0xD800 <= point <= 0xDFFF else chr(point)
    return _JSON_ESCAPE.sub(undo, text)


def excerpt_of(text: str | None, secrets: Iterable[str] = ()) -> str:
    """A rejected line's excerpt: its first ``EXCERPT_SCAN`` characters scrubbed, as written and with JSON
    escapes undone, then cut to ``EXCERPT_CHARS``."""
    text = (text or "")[:EXCERPT_SCAN]
    clean = scrub(text, secrets) or ""
    if "\\" in text:
        plain = _unescaped(text)
        if (plain_clean := scrub(plain, secrets) or "") != plain:
            clean = plain_clean
    return clean[:EXCERPT_CHARS]


def scrub_json(text: str, secrets: Iterable[str] = ()) -> str:
    """A JSON document with every string in it (keys too) scrubbed after decoding: an escape inside a key
    does not hide it. Not JSON: scrubbed as text."""
    try:
        doc = json.loads(text)
    except ValueError:
        return scrub(text, secrets) or ""
    secrets = tuple(secrets)

    def clean(value):
        if isinstance(value, str):
            return scrub(value, secrets)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        return value

    cleaned = clean(doc)
    if cleaned == doc:
        return text
    out = json.dumps(cleaned, ensure_ascii=False)
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate's escape: kept as an escape
        out = json.dumps(cleaned)
    return out


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
