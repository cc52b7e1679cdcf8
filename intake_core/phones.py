"""Phone numbers: parse anything a Russian caller or PBX gives, store E.164, log masked."""

from __future__ import annotations

import re

import phonenumbers

from intake_core.errors import FieldError, InvalidValue

# What a PBX sends when there is no number to call back.
_NO_NUMBER = {"", "anonymous", "<unknown>", "unknown", "unavailable", "restricted", "private"}
_DIGITS = re.compile(r"\d")


PHONE_MESSAGE = "Неверный номер телефона: укажите 10 цифр, например +7 916 123-45-67"


class InvalidPhone(InvalidValue):
    """The text is not a phone number we could call back (the number itself is never kept:
    it is personal data)."""

    code = "invalid_phone"

    def __init__(self, message: str = PHONE_MESSAGE) -> None:
        super().__init__(message)


def normalize_phone(raw: str | None) -> str | None:
    """Return the number in E.164 (`+79161234567`), None when withheld, or raise InvalidPhone.

    Accepts «8 (916) 123-45-67», «+7…», «7…», 10 bare digits («9161234567», «4722585201»).
    """
    if raw is None:
        return None
    text = raw.strip()
    if text.casefold() in _NO_NUMBER:
        return None
    digits = "".join(_DIGITS.findall(text))
    if text.startswith("+"):
        candidate = "+" + digits
    elif len(digits) == 11 and digits[0] in "78":
        candidate = "+7" + digits[1:]
    elif len(digits) == 10:
        candidate = "+7" + digits
    else:
        candidate = text
    try:
        number = phonenumbers.parse(candidate, "RU")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone() from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_field_error(field: str) -> FieldError:
    return FieldError(field, PHONE_MESSAGE, InvalidPhone.code)


def mask_phone(phone: str | None) -> str:
    """`+79161234567` → `+7916***4567`: enough to tell calls apart in logs, not to dial."""
    if not phone:
        return "-"
    if len(phone) <= 6:
        return "***"
    return phone[:4] + "***" + phone[-4:]


def format_phone(phone: str | None) -> str:
    """E.164 → «+7 916 123-45-67» for people."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, "RU")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
