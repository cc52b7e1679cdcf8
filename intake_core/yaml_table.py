"""Tables an MO edits as YAML (questionnaire, substitution table): reading and Russian problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from intake_core.errors import DomainError


class StrictSpec(BaseModel):
    """A part of a table file: an unknown key is a mistake in the file, never ignored."""

    model_config = ConfigDict(extra="forbid")


_MESSAGES = {
    "missing": "обязательное поле не заполнено",
    "extra_forbidden": "лишнее поле",
    "string_type": "ожидается текст",
    "string_too_short": "пустой текст",
    "string_too_long": "слишком длинный текст",
    "string_pattern_mismatch": "только латинские строчные буквы, цифры, «_», «.» и «-»",
    "list_type": "ожидается список",
    "too_short": "список пуст",
    "too_long": "слишком много элементов (ответов — не больше 9)",
    "dict_type": "ожидается таблица «ключ: значение»",
    "model_type": "ожидается таблица «ключ: значение»",
    "enum": "недопустимое значение",
    "int_parsing": "ожидается целое число",
    "tuple_type": "ожидается список из двух чисел",
}


class TableFileUnreadable(DomainError):
    """The file is missing or is not YAML."""

    code = "table_file_unreadable"


def read_yaml(path: Path) -> Any:
    """The file's data, or TableFileUnreadable with the reason."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TableFileUnreadable(f"файл не прочитан: {exc}") from None


def problems_of(exc: ValidationError) -> list[str]:
    """«questions.0.answers: список пуст» — where in the file, and what is wrong, in Russian."""
    found = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "файл"
        message = _MESSAGES.get(error["type"], error["msg"])
        if error["type"] == "enum":
            message = f"{message} «{error.get('input')}»"
        found.append(f"{where}: {message}")
    return found
