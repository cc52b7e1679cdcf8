"""The reason-code questionnaire: the shipped tree walked path by path; bad trees refused."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from intake_core.errors import ValidationFailed
from intake_core.questionnaire import (
    Facts,
    Outcome,
    Place,
    QuestionnaireError,
    Urgency,
    load_questionnaire,
    parse_questionnaire,
)
from intake_core.substitution import load_table


def _small() -> dict[str, Any]:
    return {
        "id": "mini",
        "version": "1",
        "title": "Мини",
        "start": "q1",
        "letters": ["Т", "П"],
        "questions": [
            {
                "id": "q1",
                "text": "Взрослый?",
                "answers": [
                    {"id": "yes", "text": "Да", "next": "adult"},
                    {"id": "no", "text": "Нет", "next": "q2"},
                ],
            },
            {
                "id": "q2",
                "text": "Плохо дышит?",
                "answers": [
                    {"id": "yes", "text": "Да", "next": "ambulance"},
                    {"id": "no", "text": "Нет", "next": "child"},
                ],
            },
        ],
        "outcomes": [
            {"id": "adult", "code": "60Т", "text": "Взрослый", "urgency": "routine"},
            {"id": "child", "code": "70П", "text": "Ребёнок", "urgency": "urgent"},
        ],
        "exits": [{"id": "ambulance", "reason": "Дыхание", "say": "Звоните 103"}],
    }


def test_questionnaire_shipped_every_path_ends_in_an_outcome_or_an_exit() -> None:
    questionnaire = load_questionnaire()
    table = load_table()
    paths = questionnaire.paths()
    assert len(paths) >= 40
    reached: set[str] = set()
    for path in paths:
        walk = questionnaire.finish(path)
        assert walk.question is None
        assert walk.end is not None
        reached.add(walk.end.id)
        assert len(walk.transcript()) == len(path)
        if isinstance(walk.end, Outcome):
            assert walk.end.place is Place.HOME
            assert walk.end.letter in table.letters
            table.column(walk.end.letter, walk.end.urgency, int(walk.end.code[:2]))
    assert reached == set(questionnaire.outcomes) | set(questionnaire.exits)


@pytest.mark.parametrize(
    ("answers", "code", "urgency"),
    [
        (["home", "no", "adult", "fever", "yes"], "61Т", Urgency.URGENT),
        (["home", "no", "adult", "fever", "no"], "60Т", Urgency.ROUTINE),
        (["home", "no", "adult", "pressure", "no", "no"], "64Т", Urgency.URGENT),
        (["home", "no", "adult", "papers"], "80Т", Urgency.ROUTINE),
        (["home", "no", "adult", "procedure"], "85Ф", Urgency.ROUTINE),
        (["home", "no", "adult", "specialist"], "86У", Urgency.ROUTINE),
        (["home", "no", "child", "cold"], "72П", Urgency.ROUTINE),
        (["home", "no", "child", "fever", "no", "yes"], "71П", Urgency.URGENT),
        (["home", "no", "child", "papers"], "80П", Urgency.ROUTINE),
    ],
)
def test_questionnaire_answers_give_the_reason_code(
    answers: list[str], code: str, urgency: Urgency
) -> None:
    walk = load_questionnaire().finish(answers)
    assert walk.outcome is not None
    assert (walk.outcome.code, walk.outcome.urgency) == (code, urgency)


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (["home", "yes"], "Экстренные показания"),
        (["home", "no", "infant", "yes"], "Температура у ребёнка до года"),
        (["home", "no", "child", "rash", "yes"], "Температура с сыпью у ребёнка"),
        (["home", "no", "adult", "pain", "chest"], "Боль в груди"),
        (["home", "no", "adult", "cough", "yes"], "Тяжёлое нарушение дыхания"),
        (["outside"], "Пациент не дома"),
    ],
)
def test_questionnaire_red_flags_exit_to_103_112(answers: list[str], reason: str) -> None:
    walk = load_questionnaire().finish(answers)
    assert walk.exit is not None and walk.outcome is None
    assert walk.exit.reason == reason
    assert "103" in walk.exit.say


def test_questionnaire_walk_stops_at_the_next_question_and_refuses_foreign_answers() -> None:
    questionnaire = load_questionnaire()
    walk = questionnaire.walk(["home", "no"])
    assert walk.question is not None and walk.question.id == "age" and walk.end is None
    with pytest.raises(ValidationFailed, match="Опрос не завершён"):
        questionnaire.finish(["home", "no"])
    with pytest.raises(ValidationFailed, match="не из вариантов вопроса «Сколько лет пациенту"):
        questionnaire.walk(["home", "no", "teenager"])
    with pytest.raises(ValidationFailed, match="Лишний ответ № 2"):
        questionnaire.walk(["outside", "yes"])


@pytest.mark.parametrize(
    ("given", "age_years", "temperature", "known", "next_question"),
    [
        # the age chooses the age answer, the temperature the fever answers
        (["home", "no"], 40.0, None, ["home", "no", "adult"], "adult_reason"),
        (["home", "no"], 5.0, None, ["home", "no", "child"], "child_reason"),
        (["home", "no"], 0.5, None, ["home", "no", "infant"], "infant_fever"),
        (["home", "no"], 0.5, 37.2, ["home", "no", "infant", "no"], "child_reason"),
        (
            ["home", "no", "adult", "fever"],
            40.0,
            39.4,
            ["home", "no", "adult", "fever", "yes"],
            None,
        ),
        # 38.5 does not say whether it has lasted 3 days: the question stays
        (
            ["home", "no", "adult", "fever"],
            40.0,
            38.5,
            ["home", "no", "adult", "fever"],
            "adult_fever",
        ),
        # nothing known, or a question without a known fact: nothing is skipped
        (["home", "no"], None, 38.5, ["home", "no"], "age"),
        (["home"], 40.0, 39.4, ["home"], "danger"),
        ([], 40.0, None, [], "place"),
    ],
)
def test_questionnaire_known_facts_answer_their_questions(
    given: list[str],
    age_years: float | None,
    temperature: float | None,
    known: list[str],
    next_question: str | None,
) -> None:
    questionnaire = load_questionnaire()
    answers = questionnaire.answer_known(given, Facts(age_years, temperature))
    assert answers == known
    walk = questionnaire.walk(answers)
    assert (walk.question.id if walk.question else None) == next_question


def test_questionnaire_infant_fever_known_from_the_facts_is_an_exit() -> None:
    """A baby of two months (birth date) with 38.5 in the complaint: the red flag, not a visit."""
    facts = Facts.known(date(2025, 1, 10), 38.5, date(2025, 3, 12))
    assert facts.age_years == pytest.approx(2 / 12)
    questionnaire = load_questionnaire()
    answers = questionnaire.answer_known(["home", "no"], facts)
    walk = questionnaire.finish(answers)
    assert answers == ["home", "no", "infant", "yes"]
    assert walk.exit is not None and walk.exit.reason == "Температура у ребёнка до года"


def test_questionnaire_back_and_asked_skip_the_answers_the_facts_chose() -> None:
    questionnaire = load_questionnaire()
    facts = Facts(age_years=0.5, temperature=37.0)
    answers = ["home", "no", "infant", "no", "cold"]
    assert questionnaire.asked(answers, facts) == 3
    # back from «Что беспокоит ребёнка?» goes to «Есть ли сейчас…», not to the age
    assert questionnaire.back(answers[:-1], facts) == ["home"]
    assert questionnaire.back(["home", "no"], facts) == ["home"]
    assert questionnaire.back(["home"], facts) == []
    assert questionnaire.asked(answers, Facts()) == 5


def test_questionnaire_mo_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(_small(), allow_unicode=True), encoding="utf-8")
    questionnaire = load_questionnaire(path)
    assert questionnaire.id == "mini"
    assert sorted(tuple(p) for p in questionnaire.paths()) == [
        ("no", "no"),
        ("no", "yes"),
        ("yes",),
    ]


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_small())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["questions"][0]["answers"][0].update(next="nowhere"),
            "ответ «yes» вопроса «q1» ведёт к несуществующему «nowhere»",
        ),
        (
            lambda d: d["questions"][1]["answers"][1].update(next="q1"),
            "цикл: q1 → q2 → q1",
        ),
        (lambda d: d.update(start="q0"), "первый вопрос «q0» не найден"),
        (
            lambda d: d["outcomes"].append(
                {"id": "lost", "code": "61Т", "text": "x", "urgency": "routine"}
            ),
            "недостижимы из первого вопроса: lost",
        ),
        (
            lambda d: d["outcomes"][0].update(code="6Т"),
            "нужны две цифры места и буква",
        ),
        (lambda d: d["outcomes"][0].update(code="05Т"), "цифры места начинаются с 10"),
        (lambda d: d["outcomes"][0].update(code="60К"), "буква «К» не из списка профилей"),
        (lambda d: d["outcomes"][1].update(id="q2"), "идентификатор «q2» повторяется"),
        (lambda d: d["questions"][0].update(answers=[]), "questions.0.answers: список пуст"),
        (
            lambda d: d["questions"][0].update(
                answers=[{"id": f"a{i}", "text": "x", "next": "adult"} for i in range(10)]
            ),
            "questions.0.answers: слишком много элементов (ответов — не больше 9)",
        ),
        (lambda d: d.pop("start"), "start: обязательное поле не заполнено"),
        (
            lambda d: d["outcomes"][0].update(urgency="soon"),
            "outcomes.0.urgency: недопустимое значение «soon»",
        ),
        (
            lambda d: d["questions"][0]["answers"][0].update(at_least=18),
            "ответ «yes» вопроса «q1»: диапазон задан, а поле known — нет",
        ),
        (
            lambda d: d["questions"][0].update(known="age_years"),
            "вопрос «q1»: known задано, но ни у одного ответа нет диапазона",
        ),
        (
            lambda d: (
                d["questions"][0].update(known="age_years"),
                d["questions"][0]["answers"][0].update(at_least=18, below=1),
            ),
            "ответ «yes» вопроса «q1»: пустой диапазон",
        ),
        (
            lambda d: d["questions"][0].update(known="weight"),
            "questions.0.known: недопустимое значение «weight»",
        ),
    ],
)
def test_questionnaire_bad_tree_is_refused_with_a_clear_message(change: Any, message: str) -> None:
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(_broken(change), "mine.yaml")
    assert message in caught.value.message
    assert caught.value.message.startswith("Опросник mine.yaml не принят")


def test_questionnaire_unquoted_comma_in_an_answer_is_refused() -> None:
    """YAML reads `{text: Дома, по адресу}` as two keys: the file is refused, not cut short."""
    data = _small()
    answer = yaml.safe_load("{id: home, text: Дома, по адресу вызова, next: adult}")
    assert answer["text"] == "Дома"  # what an unquoted comma does
    data["questions"][0]["answers"][0] = answer
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(data, "mine.yaml")
    assert "questions.0.answers.0.по адресу вызова: лишнее поле" in caught.value.message
    shipped = load_questionnaire()
    home = [a for q in shipped.questions.values() for a in q.answers if a.id == "home"]
    assert [a.text for a in home] == ["Дома, по адресу вызова"]


def test_questionnaire_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="файл не прочитан"):
        load_questionnaire(path)
