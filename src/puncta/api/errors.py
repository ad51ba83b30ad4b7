"""The API's one error shape and the one place that produces it.

Every refusal and failure answers JSON ``{"code", "message", "field"?, ...}``: domain
refusals (``DomainError``, which carry their code), request validation, a malformed body,
403, 404 and anything unexpected (500, logged, never HTML). A NUL character anywhere in
the query or the JSON body is refused here, at the door, because PostgreSQL cannot store it.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from puncta.clinics.errors import DomainError, nul_path

if TYPE_CHECKING:
    from ninja import NinjaAPI

log = logging.getLogger("puncta.api")

# The code an HttpError's status answers with when the raiser gave none.
STATUS_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large",
                422: "invalid", 429: "too_many_requests"}
# Every operation may answer these; the OpenAPI document says so (see ``document``).
ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429)


class FieldError(Schema):
    field: str
    code: str
    message: str


class Refusal(Schema):
    code: str
    message: str
    url: str = ""


class ErrorOut(Schema):
    """Every error of the API."""

    code: str
    message: str
    field: str | None = None
    errors: list[FieldError] | dict[str, str] | None = None
    refusals: list[Refusal] | None = None


class NulInText(ValueError):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _dotted(path: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in path)


class StrictParser(Parser):
    """ninja's JSON parser, refusing NUL characters (body and query) and bad JSON."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        where = nul_path(data)
        if where is not None:
            raise NulInText(_dotted(where))
        return data  # type: ignore[no-any-return]

    def parse_querydict(self, data: MultiValueDict[str, Any], list_fields: list[str],
                        request: HttpRequest) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        where = nul_path(result)
        if where is not None:
            raise NulInText(_dotted(where))
        return result


def body(code: str, message: Any, field: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": str(message)}
    if field:
        out["field"] = field
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _nul(field: str) -> dict[str, Any]:
    return body("nul_character", _("Text cannot contain a NUL character (\\0)."), field)


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str:
    """('body', 'payload', 'zones', 0, 'depth_mm') -> 'zones.0.depth_mm'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        where = parts.pop(0)
        if where == "body" and len(parts) > 1:
            parts.pop(0)  # the handler's argument name ('payload')
    return _dotted(parts)


def install(api: NinjaAPI) -> None:
    """Register the handlers on the API (replacing ninja's defaults)."""

    def respond(request: HttpRequest, status: int, data: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, data, status=status)

    @api.exception_handler(DomainError)
    def domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.status,
                       body(exc.code, exc.message, exc.field or None, **exc.details()))

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [{"field": _field_of(e.get("loc", ())), "code": str(e.get("type", "invalid")),
                   "message": str(e.get("msg", ""))} for e in exc.errors]
        first = errors[0] if errors else {"field": "", "message": _("Invalid input.")}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return respond(request, 422, body("invalid", message, first["field"] or None,
                                          errors=errors))

    @api.exception_handler(DjangoValidationError)
    def model_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [{"field": k, "code": "invalid", "message": " ".join(v)}
                      for k, v in exc.message_dict.items()]
        else:
            errors = [{"field": "", "code": "invalid", "message": m} for m in exc.messages]
        first = errors[0]
        field = "" if first["field"] == "__all__" else first["field"]
        message = f"{field}: {first['message']}" if field else first["message"]
        return respond(request, 422, body("invalid", message, field or None, errors=errors))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, NulInText):  # raised by the parser, wrapped by ninja
            return respond(request, 422, _nul(cause.field))
        if isinstance(cause, ValueError):  # the body is not JSON
            return respond(request, 400, body("bad_json", _("The body is not valid JSON.")))
        code = STATUS_CODES.get(exc.status_code, "error")
        if isinstance(exc, AuthenticationError):
            message: Any = _("Give a valid token: Authorization: Bearer <token>.")
        else:
            message = exc.message if isinstance(exc.message, str) else str(exc)
        return respond(request, exc.status_code, body(code, message))

    @api.exception_handler(NulInText)
    def nul(request: HttpRequest, exc: NulInText) -> HttpResponse:
        return respond(request, 422, _nul(exc.field))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 404, body("not_found", _("Not found.")))

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return not_found(request, exc)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, body("forbidden",
                                          _("Your role in this clinic does not allow this.")))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged with its traceback for the operator; the client gets no internals.
        log.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, body("server_error", _(
            "Something went wrong; nothing was saved. Try again, and tell the clinic's "
            "administrator if it happens again.")))


NO_NUL = "^[^\\u0000]*$"


def _no_nul(node: Any) -> None:
    """Say in the document what the parser enforces: no text holds a NUL character."""
    if isinstance(node, dict):
        if (node.get("type") == "string" and not {"format", "enum", "const", "pattern"}
                & node.keys()):
            node["pattern"] = NO_NUL
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses every operation may give to the OpenAPI document, and the
    NUL rule to every free text."""
    _no_nul(schema.get("components", {}))
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            _no_nul(operation.get("parameters", []))
            _no_nul(operation.get("requestBody", {}))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in error_schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components["ErrorOut"] = error_schema
    ref = {"content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/ErrorOut"}}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                responses[str(status)] = {"description": STATUS_CODES[status], **ref}
    return schema

