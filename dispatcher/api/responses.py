"""What the API answers besides success, declared once for the OpenAPI: every route lists the
error statuses it really returns, each with the JSON shape of its body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

# Far above any row id, below what both databases store (2**63 - 1), and exact in every JSON
# tool (a double holds integers up to 2**53 exactly; past it a bound is off by hundreds)
MAX_ID = 2**53 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Идентификатор (целое число от 1)")]


class Detail(BaseModel):
    """Ошибка доступа, разбора запроса или недоступности сервиса."""

    detail: str = Field(..., description="Сообщение по-русски")


class FieldProblem(BaseModel):
    field: str = Field(..., description="Поле запроса, пусто — запрос в целом")
    message: str = Field(..., description="Что не так, по-русски")
    code: str = Field(..., description="Машинный код ошибки")


class Problem(BaseModel):
    """Запрос не выполнен: общее сообщение и сообщение по каждому неверному полю."""

    message: str
    errors: list[FieldProblem]


def _detail(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "model": Detail}
    if headers:
        answer["headers"] = headers
    return answer


_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Секунды"}}

_ALL: dict[int, dict[str, Any]] = {
    400: {
        "description": "Тело запроса не разобрано (не JSON или не UTF-8), или заявка не "
        "сохранена: повторите запрос",
        "model": Detail | Problem,
    },
    401: _detail(
        "Нет токена доступа или он недействителен",
        {"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    403: _detail("У клиента нет нужной области доступа"),
    404: {"description": "Не найдено (или вне медицинских организаций клиента)", "model": Problem},
    409: {"description": "Действие невозможно в текущем состоянии", "model": Problem},
    422: {"description": "Запрос не принят: сообщение по каждому неверному полю", "model": Problem},
    429: _detail("Слишком много запросов: повторите через Retry-After секунд", _RETRY_AFTER),
    503: _detail("База данных или Redis недоступны: повторите через Retry-After", _RETRY_AFTER),
}


def responses(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The declared answers for these status codes; `described` overrides a description
    (`c409="…"`)."""
    result: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        answer = dict(_ALL[code])
        if f"c{code}" in described:
            answer["description"] = described[f"c{code}"]
        result[code] = answer
    return result


# A route reached with a token: the token checks, the field checks, an outage.
AUTHED = responses(401, 403, 422, 503)
# The same with a JSON body, which may not parse.
AUTHED_BODY = responses(400, 401, 403, 422, 503)
# The client APIs (СМП, portal, FHIR, notifications) also count requests.
LIMITED = responses(401, 403, 404, 422, 429, 503)


def as_plain_json(declared: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """The same answers stated as `application/json` whatever the route's own media type (FHIR
    answers `application/fhir+json`, its errors stay plain JSON). The models are in the
    components because the other routes declare them."""
    result: dict[int | str, dict[str, Any]] = {}
    for code, answer in declared.items():
        plain = {k: v for k, v in answer.items() if k != "model"}
        model = answer.get("model")
        if model is not None:
            names = [m.__name__ for m in getattr(model, "__args__", (model,))]
            refs = [{"$ref": f"#/components/schemas/{name}"} for name in names]
            schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
            plain["content"] = {"application/json": {"schema": schema}}
        result[code] = plain
    return result
