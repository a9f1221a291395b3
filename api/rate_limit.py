"""Rate limits per API key, kept by the `limits` library: in this process's memory (the
default, right for one process) or in a shared store such as Redis, so that every worker
and replica counts against one limit (`api_rate_limit_storage_url`).

A key may make `burst` requests in any window of `burst * 60 / per_minute` seconds (a moving
window): the same long-run rate as `per_minute` and the same burst as a token bucket.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

__all__ = ["RateLimiter"]


class RateLimiter:
    """`acquire(key_id)`: None when the request may go ahead, else seconds to wait."""

    def __init__(
        self,
        per_minute: float,
        burst: float,
        storage_url: str = "memory://",
        namespace: str = "quantis",
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError(
                f"rate limit needs per_minute > 0 and burst >= 1, got {per_minute}, {burst}"
            )
        amount = int(burst)
        self.window_s = max(1, math.ceil(amount * 60.0 / per_minute))
        self.item = RateLimitItemPerSecond(amount, self.window_s)
        self.storage_url = storage_url
        self.namespace = namespace
        self.storage = storage_from_string(storage_url)
        self.limiter = MovingWindowRateLimiter(self.storage)

    def acquire(self, key_id: int) -> int | None:
        identifiers = (self.namespace, str(key_id))
        if self.limiter.hit(self.item, *identifiers):
            return None
        reset_at = self.limiter.get_window_stats(self.item, *identifiers).reset_time
        return max(1, math.ceil(reset_at - time.time()))
