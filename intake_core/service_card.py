"""The call service card: reason code, the doctor sent, what was needed post factum, the result.

The dispatch code is the reason code and two more letters — the profile sent and the
profile the doctor says was needed («61ТВТ»): reason ≠ post factum is an operator's or a
questionnaire branch's error, reason ≠ sent is a shortage of that profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intake_core.call import ServiceResult
from intake_core.errors import FieldError, ValidationFailed
from intake_core.questionnaire import Urgency

UNKNOWN_LETTER = "·"


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """What the doctor adds at completion."""

    postfactum_letter: str
    departed_at: datetime | None
    arrived_at: datetime | None
    finished_at: datetime
    result: ServiceResult
    result_reason: str | None
    remarks: str | None

    def check(self, letters: tuple[str, ...] | list[str], received_at: datetime) -> None:
        """Refuse an unknown letter, time points out of order, a refusal without its reason."""
        errors: list[FieldError] = []
        if self.postfactum_letter not in letters:
            errors.append(
                FieldError("postfactum_letter", "Укажите, какой профиль был нужен", "required")
            )
        points = [
            ("departed_at", "выезда", self.departed_at),
            ("arrived_at", "прибытия", self.arrived_at),
            ("finished_at", "окончания", self.finished_at),
        ]
        previous, previous_name = received_at, "поступления вызова"
        for field, name, value in points:
            if value is None:
                continue
            if value < previous:
                errors.append(
                    FieldError(field, f"Время {name} раньше времени {previous_name}", "order")
                )
            previous, previous_name = value, name
        if self.result is ServiceResult.REFUSED_HOSPITALISATION and not self.result_reason:
            errors.append(
                FieldError("result_reason", "Укажите причину отказа от госпитализации", "required")
            )
        if errors:
            raise ValidationFailed(errors)


@dataclass(frozen=True, slots=True)
class ServiceCard:
    call_id: int
    questionnaire_id: str
    questionnaire_version: str
    branch: str
    answers: tuple[tuple[str, str], ...]  # (question, answer) as the operator saw them
    reason_code: str
    reason_text: str
    urgency: Urgency
    coded_by: str | None
    coded_at: datetime | None
    sent_letter: str | None = None
    sent_doctor_id: int | None = None
    sent_doctor: str | None = None
    sent_by: str | None = None
    override_reason: str | None = None
    sent_at: datetime | None = None
    postfactum_letter: str | None = None
    departed_at: datetime | None = None
    arrived_at: datetime | None = None
    finished_at: datetime | None = None
    result: ServiceResult | None = None
    result_reason: str | None = None
    remarks: str | None = None
    recorded_at: datetime | None = None

    @property
    def reason_letter(self) -> str:
        return self.reason_code[-1]

    @property
    def dispatch_code(self) -> str:
        """«61ТВТ»; a letter not known yet shows as «·»."""
        return (
            self.reason_code
            + (self.sent_letter or UNKNOWN_LETTER)
            + (self.postfactum_letter or UNKNOWN_LETTER)
        )

    @property
    def complete(self) -> bool:
        return self.sent_letter is not None and self.postfactum_letter is not None

    @property
    def mismatches(self) -> list[str]:
        """The seed's three readings of a dispatch code, in Russian, for the card."""
        found = []
        if self.sent_letter and self.sent_letter != self.reason_letter:
            found.append("выслан не тот профиль, что требовался (нехватка)")
        if self.postfactum_letter and self.postfactum_letter != self.reason_letter:
            found.append("повод определён неверно (расхождение с фактом)")
        if (
            self.sent_letter
            and self.postfactum_letter
            and self.sent_letter != self.postfactum_letter
        ):
            found.append("помощь оказал не тот профиль, что был нужен")
        return found
