"""Domain errors and bad requests mapped to HTTP in one place, with Russian messages."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from intake_core.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    NotFound,
    ValidationFailed,
)

_PYDANTIC_MESSAGES = {
    "missing": "Обязательное поле",
    "string_type": "Ожидается строка",
    "string_too_long": "Слишком длинное значение",
    "string_too_short": "Пустое значение",
    "string_pattern_mismatch": "Пустое или неверное значение",
    "int_parsing": "Ожидается целое число",
    "int_type": "Ожидается целое число",
    "bool_parsing": "Ожидается да/нет (true/false)",
    "bool_type": "Ожидается да/нет (true/false)",
    "date_from_datetime_parsing": "Ожидается дата ГГГГ-ММ-ДД",
    "date_parsing": "Ожидается дата ГГГГ-ММ-ДД",
    "date_type": "Ожидается дата ГГГГ-ММ-ДД",
    "enum": "Недопустимое значение",
    "list_type": "Ожидается список",
    "too_long": "Слишком много значений",
    "model_type": "Ожидается объект",
    "model_attributes_type": "Ожидается объект",
    "dict_type": "Ожидается объект",
    "json_invalid": "Тело запроса — не JSON",
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_HINT = (
    "Передайте заголовок Idempotency-Key: повтор запроса с тем же ключом не создаст второй вызов"
)


def _message(field: str, kind: str) -> str:
    if field == IDEMPOTENCY_KEY and kind == "missing":
        return IDEMPOTENCY_HINT
    return _PYDANTIC_MESSAGES.get(kind, "Неверное значение")


def _payload(errors: list[dict[str, str]], message: str) -> dict[str, Any]:
    return {"message": message, "errors": errors}


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI declares at this path (Starlette names only the first route's):
    the `Allow` of a 405 agrees with the published schema."""
    app: FastAPI = request.app
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


# Starlette's own English answers (an unknown address, a method the path does not take) →
# a Russian message in the API's error shape, with a machine code
_ROUTING_ERRORS = {
    status.HTTP_404_NOT_FOUND: ("Адрес не найден: проверьте путь запроса", "not_found"),
    status.HTTP_405_METHOD_NOT_ALLOWED: (
        "Этот метод запроса по этому адресу не поддерживается",
        "method_not_allowed",
    ),
}


def _routing_error(exc: StarletteHTTPException) -> tuple[str, str] | None:
    """The Russian message and code of a routing error that still carries Starlette's default
    English detail; None for an error a route raised with its own (Russian) message."""
    known = _ROUTING_ERRORS.get(exc.status_code)
    if known is None or exc.detail != HTTPStatus(exc.status_code).phrase:
        return None
    return known


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            allowed = _allowed_methods(request)
            if allowed:
                headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
                exc = StarletteHTTPException(exc.status_code, exc.detail, headers)
        routing = _routing_error(exc)
        if routing is not None:
            message, code = routing
            allow = (exc.headers or {}).get("Allow")
            if allow:
                message = f"{message}: метод {request.method}, допустимы {allow}"
            return JSONResponse(
                _payload([{"field": "", "message": message, "code": code}], message),
                status_code=exc.status_code,
                headers=exc.headers,
            )
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            field = _field(tuple(e.get("loc", ())))
            kind = e.get("type", "invalid")
            errors.append({"field": field, "message": _message(field, kind), "code": kind})
        return JSONResponse(
            _payload(errors, "Запрос не принят: проверьте поля"),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, ValidationFailed):
            errors = [{"field": e.field, "message": e.message, "code": e.code} for e in exc.errors]
            return JSONResponse(
                _payload(errors, "Запрос не принят: проверьте поля"),
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
        code = status.HTTP_400_BAD_REQUEST
        if isinstance(exc, NotFound):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(exc, IllegalTransition | Conflict):
            code = status.HTTP_409_CONFLICT
        return JSONResponse(
            _payload([{"field": "", "message": exc.message, "code": exc.code}], exc.message),
            status_code=code,
        )
