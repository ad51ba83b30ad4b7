"""The current request's id, for every log record (imported by the logging
configuration, before Django's apps are loaded: no models here)."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
# What a proxy sends ($request_id in nginx is 32 hex digits; UUIDs, ULIDs): nothing that
# could forge a log line or carry data.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("puncta_request_id",
                                                                 default="-")


def incoming_id(value: str | None) -> str:
    if value and WELL_FORMED.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request's id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def forget(**kwargs: object) -> None:
    request_id.set("-")
