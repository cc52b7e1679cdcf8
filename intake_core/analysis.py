"""What the intake needs from text analysis; the `nlp` package provides it behind this seam."""

from __future__ import annotations

from typing import Protocol

from intake_core.call import Complaints, VisitAddress
from intake_core.districts import DistrictStreet


class TextAnalyzer(Protocol):
    """Turns free text into our own typed objects."""

    def address(self, text: str, streets: list[DistrictStreet]) -> VisitAddress: ...

    def complaints(self, text: str, age_years: float | None) -> Complaints: ...
