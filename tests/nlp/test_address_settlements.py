"""The settlements gazetteer file: generated from GeoNames by its script, read offline."""

from __future__ import annotations

import pytest

from nlp.address_settlements_build import OUTPUT, build
from nlp.reference import StreetReference, load_settlements


def test_script_reproduces_the_shipped_file() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == build()


def test_file_is_sorted_unique_and_russian() -> None:
    lines = [line for line in OUTPUT.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    names = [line.split("\t")[0] for line in lines]
    assert names == sorted(set(names))
    assert all(not any("a" <= c.lower() <= "z" for c in name) for name in names)
    assert len(names) > 5000


@pytest.mark.parametrize(
    ("written", "known"),
    [
        ("кинешма", "Кинешма"),  # Ivanovo region
        ("Излучинск", "Излучинск"),  # a пгт in Khanty-Mansi okrug
        ("ханты-мансийск", "Ханты-Мансийск"),
        ("Гусь-Хрустальный", "Гусь-Хрустальный"),
        ("Старый Оскол", "Старый Оскол"),
    ],
)
def test_settlements_outside_our_regions_are_known(written: str, known: str) -> None:
    assert StreetReference(()).settlement(written) == known


def test_made_up_place_is_unknown() -> None:
    reference = StreetReference(())
    assert reference.settlement("Подзаборново-Кривое") is None
    assert load_settlements()["Москва"] > 10_000_000
