"""An MO's dispatch tables together: letters agree, `python -m dispatcher check-tables` reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dispatcher.__main__ import main
from dispatcher.services.dispatch_rules import load_rules
from dispatcher.settings import Settings
from intake_core.questionnaire import DEFAULT_QUESTIONNAIRE
from intake_core.substitution import DEFAULT_TABLE, SubstitutionTableError


def _without_card(tmp_path: Path, letter: str) -> Path:
    table = yaml.safe_load(DEFAULT_TABLE.read_text(encoding="utf-8"))
    table["cards"].pop(letter)
    table["letters"].remove(letter)
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    return path


def test_dispatch_rules_refuse_a_questionnaire_letter_without_a_card(tmp_path: Path) -> None:
    settings = Settings(dispatch_substitution_path=_without_card(tmp_path, "У"))
    with pytest.raises(SubstitutionTableError, match="нет карты для буквы «У» из опросника"):
        load_rules(settings)


def test_dispatch_rules_letter_of_a_doctor_prefers_the_imported_one() -> None:
    rules = load_rules(Settings())
    assert rules.letter_of("В", "терапевт") == "В"
    assert rules.letter_of(None, "врач-педиатр участковый") == "П"


def test_check_tables_command_reports_shipped_and_refuses_broken_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-tables"]) == 0
    out = capsys.readouterr().out
    assert "путей 44" in out and "каждый путь заканчивается итогом или выходом" in out
    assert "карт 5 (Т, П, В, Ф, У)" in out
    tree = yaml.safe_load(DEFAULT_QUESTIONNAIRE.read_text(encoding="utf-8"))
    tree["questions"][1]["answers"][1]["next"] = "place"  # «Нет» leads back to the start
    broken = tmp_path / "mine.yaml"
    broken.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    assert main(["check-tables", "--questionnaire", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "Опросник mine.yaml не принят" in err and "цикл: place → danger → place" in err
