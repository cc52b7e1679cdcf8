"""The NLP pipeline: heavy models loaded once, then shared by every parser."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from natasha import MorphVocab

from nlp.address import AddressParser
from nlp.complaints import ComplaintParser
from nlp.reference import StreetEntry, StreetReference


@dataclass(frozen=True, slots=True)
class NlpPipeline:
    """Everything the intake needs from NLP; build it with `NlpPipeline.load()`."""

    address: AddressParser
    complaints: ComplaintParser

    @classmethod
    def load(cls, streets: Iterable[StreetEntry] = ()) -> NlpPipeline:
        morph = MorphVocab()
        reference = StreetReference(streets)
        return cls(
            address=AddressParser(morph, reference),
            complaints=ComplaintParser(morph),
        )
