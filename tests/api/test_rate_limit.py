"""Rate limits: the in-memory default, and one limit shared by two API processes through the
Redis server on this machine (127.0.0.1:6379, counters under a namespace unique to the test,
deleted after it)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import pytest
import redis

from api.rate_limit import RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"
REPO = Path(__file__).resolve().parents[2]


def test_a_key_gets_its_burst_then_waits_for_the_window():
    limiter = RateLimiter(per_minute=60, burst=3)
    assert limiter.window_s == 3
    assert [limiter.acquire(1) for _ in range(3)] == [None, None, None]
    wait = limiter.acquire(1)
    assert wait is not None and 1 <= wait <= 3
    assert limiter.acquire(2) is None  # another key has its own window


def test_two_limiters_in_memory_count_apart():
    first, second = RateLimiter(60, 1), RateLimiter(60, 1)
    assert first.acquire(1) is None and second.acquire(1) is None  # each process on its own


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="per_minute > 0"):
        RateLimiter(per_minute=0, burst=1)


@pytest.fixture
def redis_namespace():
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    namespace = f"i16-test-{secrets.token_hex(4)}"
    yield namespace
    for key in client.scan_iter(match=f"*{namespace}*"):
        client.delete(key)
    client.close()


def test_limiters_sharing_redis_share_one_limit(redis_namespace):
    first = RateLimiter(60, 3, storage_url=REDIS_URL, namespace=redis_namespace)
    second = RateLimiter(60, 3, storage_url=REDIS_URL, namespace=redis_namespace)
    answers = [limiter.acquire(7) for limiter in (first, second, first, second)]
    assert answers[:3] == [None, None, None] and answers[3] is not None


@pytest.mark.slow
def test_two_api_processes_share_one_limit_through_redis(
    scratch_database, api_process, redis_namespace
):
    url, key = scratch_database("read")
    burst = 5
    environment = {
        "QUANTIS_DATABASE_URL": url,
        "QUANTIS_API_RATE_LIMIT_PER_MINUTE": "6",  # 5 requests in any 50 s
        "QUANTIS_API_RATE_LIMIT_BURST": str(burst),
        "QUANTIS_API_RATE_LIMIT_STORAGE_URL": REDIS_URL,
        "QUANTIS_API_RATE_LIMIT_NAMESPACE": redis_namespace,
    }
    bases = [api_process(environment), api_process(environment)]
    headers = {"X-API-Key": key}
    started = time.monotonic()
    statuses = [
        httpx.get(f"{bases[i % 2]}/api/v1/series", headers=headers, timeout=30).status_code
        for i in range(burst + 2)
    ]
    assert time.monotonic() - started < 50  # all within one window
    # Alternating between the two processes, the key still gets `burst` requests in all.
    assert statuses == [200] * burst + [429, 429], statuses
