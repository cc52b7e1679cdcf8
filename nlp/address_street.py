"""Streets: which named run is the street, its type word, and whether a line is an address."""

from __future__ import annotations

from nlp.address_elements import Draft, Marker, Run, set_name
from nlp.address_names import NameNormalizer
from nlp.address_vocab import AREA_STREET_TYPES, PRIVATE_TERRITORY_WORDS, STREET_TYPE_GENDER, Role
from nlp.reference import fold

_AMBIGUOUS_PR = "пр"  # проспект or проезд


class Streets:
    """Chooses and names the street among the runs of a line."""

    def __init__(self, names: NameNormalizer) -> None:
        self._names = names

    def agrees(self, run: Run, marker: Marker) -> bool:
        gender = self.marker_gender(marker)
        if not gender:
            return False
        return any(gender in self._names.adjective_genders(t.key) for t in run.tokens)

    @staticmethod
    def marker_gender(marker: Marker) -> str | None:
        if marker.role is Role.STREET:
            return STREET_TYPE_GENDER.get(marker.value)
        if marker.role in (Role.REGION, Role.DISTRICT):
            return marker.value or None
        return None

    def set_street(self, draft: Draft, streets: list[tuple[Run, list[Marker]]]) -> bool:
        """The street wins over a microdistrict or territory; among equals, the last one."""
        if not streets:
            return False

        def rank(item: tuple[Run, list[Marker]]) -> int:
            types = {m.value for m in item[1]}
            if types and not types <= AREA_STREET_TYPES:
                return 3
            if item[0].before_house and not types:
                return 2
            return 1 if types else 0

        run, markers = max(reversed(streets), key=rank)
        street_type = self.street_type(run, markers)
        gender = STREET_TYPE_GENDER.get(street_type) if street_type else None
        name = self._names.street(run.words, street_type, gender, draft.values.get("city"))
        if (
            name.catalog_type
            and markers
            and (
                any(m.key == _AMBIGUOUS_PR for m in markers)
                or name.catalog_type in {m.value for m in markers}
            )
        ):
            street_type = name.catalog_type
        set_name(draft, "street", run, name.name)
        if street_type:
            draft.values["street_type"] = street_type
        if any(m.key in PRIVATE_TERRITORY_WORDS for m in markers):
            draft.plot = True
        return name.matched

    def street_type(self, run: Run, markers: list[Marker]) -> str | None:
        types = list(dict.fromkeys(m.value for m in markers))
        if len(types) <= 1:
            return types[0] if types else None
        agreeing = [t for t in types if self.agrees(run, Marker(Role.STREET, t, t))]
        if len(agreeing) == 1:
            return agreeing[0]
        specific = [t for t in types if t != "улица"]
        return specific[-1] if specific else types[0]

    def evidence(self, draft: Draft) -> bool:
        """Something only an address has: a place, a type word, a marked house or flat,
        a numbered street («3-я Парковая»), or a house after a name that is not a common
        noun («молодежная 5» is an address, «скорость 100» is not)."""
        values = draft.values
        if {"city", "region", "district", "street_type", "korpus", "flat", "building"} & set(
            values
        ):
            return True
        if "house" in values and not draft.bare_house:
            return True
        street = values.get("street", "")
        if street[:1].isdigit() or draft.street_matched:
            return True
        return (
            bool(street)
            and "house" in values
            and not any(self._names.is_common_noun(fold(w)) for w in street.split())
        )
