"""A doctor's live state during the working day, as the substitution table reads it."""

from __future__ import annotations

import enum


class DoctorState(enum.StrEnum):
    """Free, on the way to a patient, at a patient, or done for the day."""

    FREE = "free"
    ON_THE_WAY = "on_the_way"
    AT_PATIENT = "at_patient"
    DONE = "done"

    @property
    def label(self) -> str:
        return {
            "free": "Свободен",
            "on_the_way": "В пути к пациенту",
            "at_patient": "У пациента",
            "done": "Закончил работу",
        }[self.value]

    @property
    def needs_call(self) -> bool:
        """On the way and at a patient are about one call."""
        return self in (DoctorState.ON_THE_WAY, DoctorState.AT_PATIENT)
