"""The reason-code questionnaire: a versioned decision tree kept as YAML, checked on load.

A tree has questions (each with answer buttons), outcomes and exits. An answer leads to a
question, an outcome or an exit. An outcome carries the reason code — two digits for the
place (10–29 street, 30–49 public place, 50–59 medical facility, 60+ home) and the letter
of the profile needed («61Т») — with the reason text and the urgency. An exit is a red
flag: not a home visit, the caller must dial 103/112. The check refuses a tree with
dangling ids, cycles, unreachable nodes or malformed codes, so every path ends in an
outcome or an exit. A question may name a fact (`known: age_years`, `known: temperature`)
and its answers the range of it they stand for: when the fact is already known (the age
from the birth date, the temperature from the complaint), `answer_known()` chooses the
answer instead of asking, and an exit behind it still applies.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from intake_core.errors import DomainError, FieldError, ValidationFailed
from intake_core.patient import age_in_months
from intake_core.yaml_table import StrictSpec, TableFileUnreadable, problems_of, read_yaml

DEFAULT_QUESTIONNAIRE = Path(__file__).parent / "data" / "questionnaires" / "home_visit.yaml"
REASON_CODE = re.compile(r"^(?P<place>\d{2})(?P<letter>\w)$")
MAX_ANSWERS = 9  # answers are chosen with the digit keys 1–9


class Urgency(enum.StrEnum):
    """How soon the visit is needed; the substitution table has a column per urgency."""

    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def label(self) -> str:
        return {"urgent": "Неотложно (в течение 2 часов)", "routine": "В течение дня"}[self.value]

    @property
    def rank(self) -> int:
        """Priority: a higher rank may take a doctor away from a lower one («ОТЗОВИТЕ»)."""
        return {"urgent": 2, "routine": 1}[self.value]


class Place(enum.StrEnum):
    """Where the patient is, by the reason code's two digits."""

    STREET = "street"
    PUBLIC = "public"
    MEDICAL = "medical"
    HOME = "home"

    @classmethod
    def of_digits(cls, digits: int) -> Place:
        if 10 <= digits <= 29:
            return cls.STREET
        if 30 <= digits <= 49:
            return cls.PUBLIC
        if 50 <= digits <= 59:
            return cls.MEDICAL
        if digits >= 60:
            return cls.HOME
        raise ValueError(f"place digits {digits} are below 10")


class Fact(enum.StrEnum):
    """Something about the patient that may be known before its question is asked."""

    AGE_YEARS = "age_years"
    TEMPERATURE = "temperature"


@dataclass(frozen=True, slots=True)
class Facts:
    """What is already known: the age from the birth date, the temperature from the complaint."""

    age_years: float | None = None
    temperature: float | None = None

    @classmethod
    def known(cls, birth_date: date | None, temperature: float | None, today: date) -> Facts:
        age = age_in_months(birth_date, today) / 12 if birth_date is not None else None
        return cls(age_years=age, temperature=temperature)

    def value(self, fact: Fact) -> float | None:
        return self.age_years if fact is Fact.AGE_YEARS else self.temperature


class QuestionnaireError(DomainError):
    """A questionnaire file that cannot be used; `problems` lists every defect found."""

    code = "questionnaire_invalid"

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"Опросник {source} не принят: " + "; ".join(problems))
        self.problems = problems


# --- the file's shape (pydantic, at the edge) ---


class _AnswerSpec(StrictSpec):
    id: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=200)
    next: str = Field(min_length=1)
    at_least: float | None = None  # the question's known fact is at least this
    below: float | None = None  # … and below this


class _QuestionSpec(StrictSpec):
    id: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=300)
    hint: str | None = None
    known: Fact | None = None  # the fact whose value chooses an answer with a range
    answers: list[_AnswerSpec] = Field(min_length=1, max_length=MAX_ANSWERS)


class _OutcomeSpec(StrictSpec):
    id: str = Field(min_length=1, max_length=60)
    code: str
    text: str = Field(min_length=1, max_length=500)
    urgency: Urgency


class _ExitSpec(StrictSpec):
    id: str = Field(min_length=1, max_length=60)
    reason: str = Field(min_length=1, max_length=300)
    say: str = Field(min_length=1, max_length=500)


class _QuestionnaireSpec(StrictSpec):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")
    version: str = Field(min_length=1, max_length=32)
    title: str
    start: str
    letters: list[str] = Field(min_length=1)
    questions: list[_QuestionSpec] = Field(min_length=1)
    outcomes: list[_OutcomeSpec] = Field(min_length=1)
    exits: list[_ExitSpec] = Field(default_factory=list)


# --- the domain's objects ---


@dataclass(frozen=True, slots=True)
class Answer:
    id: str
    text: str
    next: str
    at_least: float | None = None
    below: float | None = None

    def fits(self, value: float) -> bool:
        """The value is in this answer's range; an answer without one is never chosen so."""
        if self.at_least is None and self.below is None:
            return False
        return (self.at_least is None or value >= self.at_least) and (
            self.below is None or value < self.below
        )


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    hint: str | None
    answers: tuple[Answer, ...]
    known: Fact | None = None

    def answer(self, answer_id: str) -> Answer | None:
        return next((a for a in self.answers if a.id == answer_id), None)

    def known_answer(self, facts: Facts) -> Answer | None:
        """The answer the known fact gives, or None when the question must be asked."""
        value = facts.value(self.known) if self.known is not None else None
        if value is None:
            return None
        return next((a for a in self.answers if a.fits(value)), None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a path ends for a home visit: the reason code and what it means."""

    id: str
    code: str
    text: str
    urgency: Urgency

    @property
    def letter(self) -> str:
        return self.code[-1]

    @property
    def place(self) -> Place:
        return Place.of_digits(int(self.code[:2]))


@dataclass(frozen=True, slots=True)
class Exit:
    """A red flag: not a home visit; `say` is the phrase for the caller (103/112)."""

    id: str
    reason: str
    say: str


@dataclass(frozen=True, slots=True)
class Step:
    """One question asked and the answer chosen."""

    question: Question
    answer: Answer


@dataclass(frozen=True, slots=True)
class Walk:
    """Answers given so far: the steps, and either the next question or the end reached."""

    steps: tuple[Step, ...]
    question: Question | None
    end: Outcome | Exit | None

    @property
    def outcome(self) -> Outcome | None:
        return self.end if isinstance(self.end, Outcome) else None

    @property
    def exit(self) -> Exit | None:
        return self.end if isinstance(self.end, Exit) else None

    def transcript(self) -> list[dict[str, str]]:
        """The card's `answers`: question and answer texts as the operator saw them."""
        return [{"question": s.question.text, "answer": s.answer.text} for s in self.steps]


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A checked tree; `walk()` follows answer ids from the start."""

    id: str
    version: str
    title: str
    start: str
    questions: dict[str, Question]
    outcomes: dict[str, Outcome]
    exits: dict[str, Exit]

    def walk(self, answer_ids: list[str]) -> Walk:
        """Follow the answers from the first question; an answer not offered is refused."""
        steps: list[Step] = []
        node = self.start
        for position, answer_id in enumerate(answer_ids, 1):
            question = self.questions.get(node)
            if question is None:
                raise ValidationFailed(
                    [FieldError("answers", f"Лишний ответ № {position}: опрос уже завершён")]
                )
            answer = question.answer(answer_id)
            if answer is None:
                raise ValidationFailed(
                    [
                        FieldError(
                            "answers",
                            f"Ответ № {position} не из вариантов вопроса «{question.text}»",
                        )
                    ]
                )
            steps.append(Step(question, answer))
            node = answer.next
        end = self.outcomes.get(node) or self.exits.get(node)
        return Walk(tuple(steps), self.questions.get(node), end)

    def answer_known(self, answer_ids: list[str], facts: Facts) -> list[str]:
        """The answers given, then those the known facts choose for the questions that follow,
        up to the first question the facts do not answer (or the end)."""
        answers = list(answer_ids)
        while True:
            question = self.walk(answers).question
            known = question.known_answer(facts) if question is not None else None
            if known is None:
                return answers
            answers.append(known.id)

    def back(self, answer_ids: list[str], facts: Facts) -> list[str]:
        """The answers before the last question that was asked: one step back skips the
        answers the facts chose, or the same question would be skipped forward again."""
        answers = list(answer_ids[:-1])
        while answers:
            question = self.walk(answers).question
            if question is None or question.known_answer(facts) is None:
                break
            answers.pop()
        return answers

    def asked(self, answer_ids: list[str], facts: Facts) -> int:
        """How many of the answers were asked for, not chosen by the facts."""
        return sum(
            1
            for position in range(len(answer_ids))
            if (question := self.walk(answer_ids[:position]).question) is None
            or question.known_answer(facts) is None
        )

    def finish(self, answer_ids: list[str]) -> Walk:
        """A walk that must have reached an outcome or an exit."""
        walk = self.walk(answer_ids)
        if walk.end is None:
            raise ValidationFailed(
                [FieldError("answers", "Опрос не завершён: ответьте на все вопросы", "required")]
            )
        return walk

    def paths(self) -> list[list[str]]:
        """Every path from the start as answer ids (the tree is acyclic, so this ends)."""
        found: list[list[str]] = []

        def descend(node: str, taken: list[str]) -> None:
            question = self.questions.get(node)
            if question is None:
                found.append(taken)
                return
            for answer in question.answers:
                descend(answer.next, [*taken, answer.id])

        descend(self.start, [])
        return found

    def public(self) -> dict[str, Any]:
        """The tree for the desk's script and the bot: plain JSON."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "start": self.start,
            "questions": {
                q.id: {
                    "text": q.text,
                    "hint": q.hint,
                    "known": q.known.value if q.known else None,
                    "answers": [
                        {
                            "id": a.id,
                            "text": a.text,
                            "next": a.next,
                            "at_least": a.at_least,
                            "below": a.below,
                        }
                        for a in q.answers
                    ],
                }
                for q in self.questions.values()
            },
            "outcomes": {
                o.id: {
                    "code": o.code,
                    "text": o.text,
                    "urgency": o.urgency.value,
                    "urgency_label": o.urgency.label,
                }
                for o in self.outcomes.values()
            },
            "exits": {e.id: {"reason": e.reason, "say": e.say} for e in self.exits.values()},
        }


def _problems(spec: _QuestionnaireSpec) -> list[str]:
    """Every defect of a parsed tree, in Russian, for the person who edits the file."""
    problems: list[str] = []
    kinds: dict[str, str] = {}
    for kind, ids in (
        ("вопрос", [q.id for q in spec.questions]),
        ("итог", [o.id for o in spec.outcomes]),
        ("выход 103/112", [e.id for e in spec.exits]),
    ):
        for node_id in ids:
            if node_id in kinds:
                problems.append(f"идентификатор «{node_id}» повторяется")
            kinds[node_id] = kind
    if spec.start not in {q.id for q in spec.questions}:
        problems.append(f"первый вопрос «{spec.start}» не найден среди вопросов")
    for question in spec.questions:
        problems.extend(_range_problems(question))
        seen: set[str] = set()
        for answer in question.answers:
            if answer.id in seen:
                problems.append(f"в вопросе «{question.id}» ответ «{answer.id}» повторяется")
            seen.add(answer.id)
            if answer.next not in kinds:
                problems.append(
                    f"ответ «{answer.id}» вопроса «{question.id}» ведёт "
                    f"к несуществующему «{answer.next}»"
                )
    for outcome in spec.outcomes:
        problems.extend(_code_problems(outcome, spec.letters))
    if problems:
        return problems
    problems.extend(_shape_problems(spec, set(kinds)))
    return problems


def _range_problems(question: _QuestionSpec) -> list[str]:
    """Ranges belong to a question with a known fact, and such a question needs some."""
    ranged = [a for a in question.answers if a.at_least is not None or a.below is not None]
    if question.known is None:
        return [
            f"ответ «{a.id}» вопроса «{question.id}»: диапазон задан, а поле known — нет"
            for a in ranged
        ]
    problems = [
        f"ответ «{a.id}» вопроса «{question.id}»: пустой диапазон"
        for a in ranged
        if a.at_least is not None and a.below is not None and a.at_least >= a.below
    ]
    if not ranged:
        problems.append(
            f"вопрос «{question.id}»: known задано, но ни у одного ответа нет диапазона"
        )
    return problems


def _code_problems(outcome: _OutcomeSpec, letters: list[str]) -> list[str]:
    found = REASON_CODE.match(outcome.code)
    if found is None:
        return [f"код итога «{outcome.id}» «{outcome.code}»: нужны две цифры места и буква"]
    problems = []
    if int(found["place"]) < 10:
        problems.append(f"код итога «{outcome.id}»: цифры места начинаются с 10")
    if found["letter"] not in letters:
        problems.append(
            f"код итога «{outcome.id}»: буква «{found['letter']}» не из списка профилей "
            f"({', '.join(letters)})"
        )
    return problems


def _shape_problems(spec: _QuestionnaireSpec, nodes: set[str]) -> list[str]:
    """Cycles and unreachable nodes (ids are known to resolve here)."""
    edges = {q.id: [a.next for a in q.answers] for q in spec.questions}
    problems: list[str] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 1:
            cycle = [*path[path.index(node) :], node]
            problems.append("цикл: " + " → ".join(cycle))
            return
        if state.get(node) == 2:
            return
        state[node] = 1
        for target in edges.get(node, []):
            visit(target, [*path, node])
        state[node] = 2

    visit(spec.start, [])
    unreachable = sorted(nodes - set(state))
    if unreachable:
        problems.append("недостижимы из первого вопроса: " + ", ".join(unreachable))
    return problems


def parse_questionnaire(data: Any, source: str = "") -> Questionnaire:
    """A checked questionnaire from parsed YAML; refuses any defect with every problem listed."""
    try:
        spec = _QuestionnaireSpec.model_validate(data)
    except ValidationError as exc:
        raise QuestionnaireError(source, problems_of(exc)) from None
    problems = _problems(spec)
    if problems:
        raise QuestionnaireError(source, problems)
    return Questionnaire(
        id=spec.id,
        version=spec.version,
        title=spec.title,
        start=spec.start,
        questions={
            q.id: Question(
                q.id,
                q.text,
                q.hint,
                tuple(Answer(a.id, a.text, a.next, a.at_least, a.below) for a in q.answers),
                q.known,
            )
            for q in spec.questions
        },
        outcomes={o.id: Outcome(o.id, o.code, o.text, o.urgency) for o in spec.outcomes},
        exits={e.id: Exit(e.id, e.reason, e.say) for e in spec.exits},
    )


def load_questionnaire(path: Path | None = None) -> Questionnaire:
    """The MO's questionnaire file, or the shipped home-visit one."""
    path = path or DEFAULT_QUESTIONNAIRE
    try:
        data = read_yaml(path)
    except TableFileUnreadable as exc:
        raise QuestionnaireError(path.name, [exc.message]) from None
    return parse_questionnaire(data, path.name)
