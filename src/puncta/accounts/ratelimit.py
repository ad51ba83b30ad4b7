"""A small fixed-window rate limiter kept in the database.

Django's default cache is per process, so a limit kept there would multiply by the
number of workers; a row per (key, window) is shared by all of them. One UPDATE per
counted request, one INSERT at the start of a window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import RateCounter


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def hit(limit: Limit, who: str, *, now: float | None = None) -> bool:
    """Count one request by ``who``; False when over the limit for this window."""
    now = time.time() if now is None else now
    window = int(now // limit.seconds) * limit.seconds
    key = f"{limit.name}:{who}"[:200]
    updated = RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window=window, count=1)
        except IntegrityError:  # another worker started the window first
            RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1)
        # A new window: forget windows long past (a bounded table without a cron job).
        RateCounter.objects.filter(window__lt=window - 3600).delete()
    current = RateCounter.objects.filter(key=key, window=window).values_list(
        "count", flat=True).first() or 0
    return current <= limit.count


def limit_from(name: str, setting: tuple[int, int]) -> Limit:
    return Limit(name, *setting)


def over(limit: Limit, who: str, *, now: float | None = None) -> bool:
    """Is ``who`` over the limit already (without counting this request)?"""
    now = time.time() if now is None else now
    window = int(now // limit.seconds) * limit.seconds
    current = RateCounter.objects.filter(key=f"{limit.name}:{who}"[:200], window=window
                                         ).values_list("count", flat=True).first() or 0
    return current >= limit.count


def refused(request: HttpRequest, limit: Limit) -> HttpResponse:
    """The page a person sees past a limit: 429, how long to wait, in their language."""
    minutes = max(1, -(-limit.seconds // 60))
    response = render(request, "accounts/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(limit.seconds)
    return response
