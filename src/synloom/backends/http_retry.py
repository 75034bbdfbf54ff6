"""Retry policy for HTTP backends: which failures are worth retrying and how long to wait.

Exponential backoff with "full jitter" (sleep uniform in [0, min(cap, base * 2**attempt)]), the
variant that spreads retries of many clients best (Brooker, "Exponential Backoff And Jitter", AWS
Architecture Blog, 2015). A server's `Retry-After` is a lower bound on the wait, honoured up to
`max_retry_after_s` (a server asking for a day must not stall a run silently).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Statuses a later attempt can fix. 400/422 (bad request) and 401/403/404 (configuration) cannot.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
OVERLOAD_STATUS = frozenset({429, 503, 529})
FATAL_STATUS = frozenset({401, 403, 404})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_s: float = 0.25
    cap_s: float = 20.0
    timeout_s: float = 60.0  # whole-request deadline (connect + send + wait + read)
    max_retry_after_s: float = 60.0  # longest Retry-After honoured

    def capped(self, retry_after: float | None) -> float | None:
        """`retry_after` limited to `max_retry_after_s` (None stays None)."""
        return None if retry_after is None else min(retry_after, self.max_retry_after_s)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        backoff = rng.uniform(0.0, min(self.cap_s, self.base_s * 2**attempt))
        return max(backoff, retry_after or 0.0)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import time

    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RequestFailure(Exception):
    """One failed attempt: `kind` is "status", "timeout", "connection" (dropped or truncated),
    "unreachable" (cannot connect at all), "malformed" (garbled JSON) or "not_openai" (an answer
    in another format, e.g. an HTML page: no retry changes it)."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        if self.kind == "status":
            return self.status in RETRYABLE_STATUS
        return self.kind in ("timeout", "connection", "unreachable", "malformed")

    @property
    def signature(self) -> str:
        """A short class of the failure ("HTTP 400", "not_openai", "timeout"), to tell whether
        many requests failed for one shared cause."""
        return f"HTTP {self.status}" if self.kind == "status" else self.kind

    @property
    def limiter_outcome(self) -> str:
        """How the adaptive limiter should read this failure."""
        if self.kind == "timeout" or (self.kind == "status" and self.status in OVERLOAD_STATUS):
            return "overload" if self.kind == "status" else "timeout"
        return "error"
