"""Provider health probes: a cheap authenticated GET of each provider's model list.

Only providers with a key (from the environment or the config) or an explicit endpoint are probed,
so packwatch never makes network traffic nobody asked for. Probes run in rounds with a concurrency
limit and a hard per-probe deadline; a provider that fails is probed less and less often
(exponential backoff up to ``max_backoff``). Every outcome, including an exception nobody expected,
becomes a stored row with an error class; nothing a provider answers can crash the loop, and no
key reaches a row: messages and URLs are scrubbed first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import ssl
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from ledger.secrets import KEY_ENV_VARS, safe_url, scrub
from ledger.settings import ProbeEndpoint, ProbeSettings

MESSAGE_CHARS = 160
ANTHROPIC_VERSION = "2023-06-01"

# provider -> (model-list URL, how the key is sent), as each provider documents it.
DEFAULT_ENDPOINTS: dict[str, tuple[str, str]] = {
    "openai": ("https://api.openai.com/v1/models", "bearer"),
    "anthropic": ("https://api.anthropic.com/v1/models", "x-api-key"),
    "google": ("https://generativelanguage.googleapis.com/v1beta/models", "x-goog-api-key"),
    "cerebras": ("https://api.cerebras.ai/v1/models", "bearer"),
    "openrouter": ("https://openrouter.ai/api/v1/models", "bearer"),
}

ERROR_CLASSES = ("timeout", "refused", "closed", "http_4xx", "auth", "rate_limited", "http_5xx", "other")


@dataclass(frozen=True)
class ProbeTarget:
    provider: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # may hold a key: never printed
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def endpoint(self) -> str:
        return safe_url(self.url)


@dataclass(frozen=True)
class ProbeResult:
    ts: dt.datetime
    provider: str
    endpoint: str
    status: int | None
    latency_ms: float | None
    error_class: str | None
    """None when the provider answered 2xx/3xx; else one of ``ERROR_CLASSES``."""
    message: str | None

    def row(self) -> tuple:
        return (self.ts, self.provider, self.endpoint, self.status, self.latency_ms, self.error_class,
                self.message)


def plan(probes: ProbeSettings, environ: Mapping[str, str] | None = None) -> list[ProbeTarget]:
    """Who to probe: each provider with a key or an explicit ``url``, and nobody else."""
    environ = os.environ if environ is None else environ
    targets = []
    for provider in dict.fromkeys([*DEFAULT_ENDPOINTS, *probes.endpoints]):
        config = probes.endpoints.get(provider) or ProbeEndpoint()
        if not config.enabled:
            continue
        default_url, default_auth = DEFAULT_ENDPOINTS.get(provider, (None, "bearer"))
        key = config.api_key.get_secret_value() if config.api_key else None
        if key is None and probes.keys_from_environment:
            key = next((environ[n] for n in KEY_ENV_VARS.get(provider, ()) if environ.get(n)), None)
        url = config.url or default_url
        if url is None or (key is None and config.url is None):
            continue  # no key and nobody asked: no traffic
        targets.append(ProbeTarget(provider, url, _headers(provider, config.auth or default_auth, key),
                                   (key,) if key else ()))
    return targets


def _headers(provider: str, auth: str, key: str | None) -> dict[str, str]:
    headers = {"user-agent": "packwatch-probe"}
    if key and auth == "bearer":
        headers["authorization"] = f"Bearer {key}"
    elif key and auth == "x-api-key":
        headers["x-api-key"] = key
    elif key and auth == "x-goog-api-key":
        headers["x-goog-api-key"] = key
    if provider == "anthropic":
        headers["anthropic-version"] = ANTHROPIC_VERSION
    return headers


def status_class(status: int) -> str | None:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limited"
    if 400 <= status < 500:
        return "http_4xx"
    if status >= 500:
        return "http_5xx"
    return None


def exception_class(exc: BaseException) -> str:
    """The error class of a probe that got no HTTP answer."""
    chain = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if any(isinstance(e, httpx.TimeoutException | TimeoutError) for e in chain):
        return "timeout"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or (
        isinstance(exc, httpx.ConnectError) and "refused" in str(exc).lower()
    ):
        return "refused"
    if any(isinstance(e, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError | ConnectionResetError
                      | BrokenPipeError | ssl.SSLEOFError) for e in chain):
        return "closed"
    return "other"


def _describe_answer(response: httpx.Response) -> str:
    text = f"{response.status_code} {response.reason_phrase}".strip()
    detail = ""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        detail = (error.get("message") if isinstance(error, dict) else error) or body.get("message") or ""
    except (ValueError, AttributeError):
        detail = response.text
    detail = " ".join(str(detail).split())
    return f"{text}: {detail}" if detail else text


async def probe(client: httpx.AsyncClient, target: ProbeTarget, deadline_s: float,
                clock: Callable[[], dt.datetime]) -> ProbeResult:
    """One probe. Never raises (except cancellation): whatever happens is the result."""
    ts = clock()
    started = time.perf_counter()
    status: int | None = None
    try:
        async with asyncio.timeout(deadline_s):  # a hard deadline: httpx's timeouts are per read
            response = await client.get(target.url, headers=target.headers)
        status = response.status_code
        error_class = status_class(status)
        message = _describe_answer(response) if error_class else None
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - a probe that throws is a failed probe, not a crash
        error_class = exception_class(exc)
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if error_class == "timeout":
            message = f"no answer within {deadline_s:g} s"
    latency = (time.perf_counter() - started) * 1000
    clean = scrub(message, target.secrets)
    return ProbeResult(ts=ts, provider=target.provider, endpoint=target.endpoint, status=status,
                       latency_ms=round(latency, 1), error_class=error_class,
                       message=clean[:MESSAGE_CHARS] if clean else None)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class _Schedule:
    due: float = 0.0
    failures: int = 0


class ProbeRunner:
    """Probes every target when it is due, at most ``concurrency`` at once, backing off from a
    failing provider. ``monotonic`` and ``clock`` are injectable so tests drive time."""

    def __init__(self, targets: list[ProbeTarget], settings: ProbeSettings, *,
                 clock: Callable[[], dt.datetime] = _utc_now, monotonic: Callable[[], float] = time.monotonic):
        self.targets = targets
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self.schedule = {t.provider: _Schedule() for t in targets}
        self.in_flight = 0
        self.most_in_flight = 0

    def delay(self, failures: int) -> float:
        """Seconds until the next probe after ``failures`` failures in a row."""
        if failures <= 0:
            return self.settings.interval
        return min(self.settings.interval * 2 ** failures, self.settings.max_backoff)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=httpx.Timeout(self.settings.timeout), follow_redirects=True,
                                 limits=httpx.Limits(max_connections=self.settings.concurrency))

    async def round(self, client: httpx.AsyncClient) -> list[ProbeResult]:
        """Probe whatever is due now; returns the outcomes in target order."""
        now = self.monotonic()
        due = [t for t in self.targets if self.schedule[t.provider].due <= now]
        limit = asyncio.Semaphore(self.settings.concurrency)

        async def limited(target: ProbeTarget) -> ProbeResult:
            async with limit:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                try:
                    return await probe(client, target, self.settings.timeout, self.clock)
                finally:
                    self.in_flight -= 1

        results = await asyncio.gather(*(limited(t) for t in due))
        after = self.monotonic()
        for result in results:
            plan_ = self.schedule[result.provider]
            plan_.failures = plan_.failures + 1 if result.error_class else 0
            plan_.due = after + self.delay(plan_.failures)
        return list(results)

    def seconds_to_next(self) -> float:
        if not self.schedule:
            return self.settings.interval
        return max(0.0, min(s.due for s in self.schedule.values()) - self.monotonic())

    async def run(self, record: Callable[[list[ProbeResult]], Awaitable[None]],
                  stopped: Callable[[], bool] = lambda: False) -> None:
        """Probe until ``stopped()`` (checked at least every quarter second) or cancellation."""
        if not self.targets:
            return
        async with self.client() as client:
            while not stopped():
                results = await self.round(client)
                if results:
                    await record(results)
                wait = self.seconds_to_next()
                while wait > 0 and not stopped():
                    await asyncio.sleep(min(wait, 0.25))
                    wait = self.seconds_to_next()


def probe_once(targets: list[ProbeTarget], settings: ProbeSettings) -> list[ProbeResult]:
    """One round of every target, now (``packwatch collect --once``)."""

    async def main() -> list[ProbeResult]:
        runner = ProbeRunner(targets, settings)
        async with runner.client() as client:
            return await runner.round(client)

    return asyncio.run(main()) if targets else []


def describe(results: list[ProbeResult]) -> str:
    """One line for the collect log: each provider's outcome."""
    return ", ".join(f"{r.provider} {r.error_class or 'ok'}" + (f" ({r.status})" if r.status else "")
                     for r in results)


def start_in_thread(targets: list[ProbeTarget], settings: ProbeSettings,
                    record: Callable[[list[ProbeResult]], None]) -> threading.Event:
    """Run the probes on their own event loop in a daemon thread (for ``packwatch collect``);
    set the returned event to stop them."""
    stop = threading.Event()

    async def record_async(results: list[ProbeResult]) -> None:
        try:
            record(results)
        except Exception as exc:  # noqa: BLE001 - e.g. the store closing under us at exit
            if not stop.is_set():
                print(f"packwatch: probe results not stored: {scrub(str(exc))}", file=sys.stderr)

    def main() -> None:
        asyncio.run(ProbeRunner(targets, settings).run(record_async, stop.is_set))

    threading.Thread(target=main, name="packwatch-probes", daemon=True).start()
    return stop
