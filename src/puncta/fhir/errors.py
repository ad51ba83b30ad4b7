"""Errors as FHIR OperationOutcome responses: every failure under /fhir/ is JSON."""

from __future__ import annotations

import json

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json"

# HTTP status -> OperationOutcome issue code
ISSUE_CODE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
              405: "not-supported", 406: "not-supported", 410: "deleted",
              415: "not-supported", 422: "processing", 500: "exception"}


class FhirError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or ISSUE_CODE.get(status, "processing")


def outcome(message: str, *, code: str = "processing", severity: str = "error") -> dict:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": message}]}


def error_response(status: int, message: str, *, code: str | None = None) -> HttpResponse:
    body = outcome(message, code=code or ISSUE_CODE.get(status, "processing"))
    response = HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="puncta-fhir"'
    return response
