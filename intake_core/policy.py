"""ОМС policies: the 16-digit ЕНП with its check digit, or an old series + number."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake_core.errors import FieldError, InvalidValue

_SPACES = re.compile(r"[\s-]+")


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy: `number` is the ЕНП or the old number, `series` only for old ones."""

    number: str
    series: str | None = None

    @property
    def is_enp(self) -> bool:
        return self.series is None and len(self.number) == 16


def enp_check_digit_ok(number: str) -> bool:
    """The ЕНП control digit (ФОМС algorithm, equivalent to Luhn over all 16 digits)."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


class InvalidPolicy(InvalidValue):
    """A policy number (or series) that is not a valid OMS policy; the reason is Russian."""

    code = "invalid_policy"


def parse_policy(series: str | None, number: str | None) -> Policy | None:
    """Validate a policy; None when none was given; raise InvalidPolicy with a Russian reason."""
    number = _SPACES.sub("", number or "")
    series = _SPACES.sub("", series or "") or None
    if not number and not series:
        return None
    if not number:
        raise InvalidPolicy("Укажите номер полиса")
    if series is None and len(number) == 16:
        if not number.isdigit():
            raise InvalidPolicy("Номер полиса ОМС (ЕНП) состоит из 16 цифр")
        if not enp_check_digit_ok(number):
            raise InvalidPolicy("Неверный номер полиса ОМС: не сходится контрольная цифра")
        return Policy(number)
    if series is None:
        raise InvalidPolicy(
            "Номер полиса ОМС (ЕНП) состоит из 16 цифр; для полиса старого образца укажите серию"
        )
    if not number.isdigit() or not 6 <= len(number) <= 12:
        raise InvalidPolicy("Номер полиса старого образца: от 6 до 12 цифр")
    if len(series) > 12:
        raise InvalidPolicy("Серия полиса слишком длинная")
    return Policy(number, series.upper())


def policy_field_error(message: str) -> FieldError:
    return FieldError("policy", message, "invalid_policy")


def mask_policy(policy: str | None) -> str:
    """Keep the last four digits only, for logs."""
    if not policy:
        return "-"
    return "*" * max(len(policy) - 4, 0) + policy[-4:]
