"""The `nlp` package behind the core's TextAnalyzer seam: its results become our own objects."""

from __future__ import annotations

from collections import OrderedDict

from natasha import MorphVocab

from intake_core.call import Complaints, RedFlag, VisitAddress
from intake_core.districts import DistrictStreet
from nlp.address import AddressParser
from nlp.complaints import ComplaintParser
from nlp.reference import StreetEntry, StreetReference

_MAX_REFERENCES = 64


class NlpAnalyzer:
    """Loads the models once; keeps one address parser per street catalog it has seen."""

    def __init__(self, morph: MorphVocab | None = None) -> None:
        self.morph = morph or MorphVocab()
        self.complaint_parser = ComplaintParser(self.morph)
        self._parsers: OrderedDict[tuple[DistrictStreet, ...], AddressParser] = OrderedDict()
        self._parsers[()] = AddressParser(self.morph, StreetReference(()))
        self._last: tuple[tuple[DistrictStreet, ...], AddressParser] = ((), self._parsers[()])

    def _address_parser(self, streets: list[DistrictStreet]) -> AddressParser:
        last_key, last_parser = self._last
        if len(last_key) == len(streets) and all(
            a is b for a, b in zip(last_key, streets, strict=True)
        ):
            # The same street objects as the last call: no need to hash the whole catalog.
            return last_parser
        key = tuple(streets)
        parser = self._parsers.get(key)
        if parser is None:
            reference = StreetReference(
                StreetEntry(s.city, s.street, s.street_type) for s in streets
            )
            parser = AddressParser(self.morph, reference)
            self._parsers[key] = parser
            if len(self._parsers) > _MAX_REFERENCES:
                self._parsers.popitem(last=False)
        else:
            self._parsers.move_to_end(key)
        self._last = (key, parser)
        return parser

    def address(self, text: str, streets: list[DistrictStreet]) -> VisitAddress:
        parsed = self._address_parser(streets).parse(text)
        return VisitAddress(
            raw=text,
            region=parsed.region,
            district=parsed.district,
            city=parsed.city,
            street=parsed.street,
            street_type=parsed.street_type,
            house=parsed.house,
            korpus=parsed.korpus,
            building=parsed.building,
            flat=parsed.flat,
            entrance=parsed.entrance,
            floor=parsed.floor,
            intercom=parsed.intercom,
            private_sector=parsed.private_sector,
            confidence=parsed.confidence,
            street_matched=parsed.street_matched,
        )

    def complaints(self, text: str, age_years: float | None) -> Complaints:
        parsed = self.complaint_parser.parse(text, age_years=age_years)
        return Complaints(
            raw=text,
            symptoms=tuple(parsed.symptoms),
            temperature=parsed.temperature,
            reason_code=parsed.reason_code,
            red_flags=tuple(RedFlag(f.code, f.reason, f.possible) for f in parsed.red_flags),
            emergency=parsed.emergency,
        )
