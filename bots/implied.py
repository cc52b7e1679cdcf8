"""Questionnaire answers the dialog already gives, so the patient is asked only what is left.

The bot calls a doctor to the address the patient gave: the patient is at home. The age comes
from the linked birth date and the temperature from the complaint (the questionnaire's own
`known` facts). What the complaint is about comes from the symptoms the NLP finds in it: a
table per question of the shipped questionnaire (an MO's own file with other question ids
simply gets its questions asked). The first row whose symptoms the complaint has wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake_core.questionnaire import Facts, Question, Questionnaire

ANY: frozenset[str] = frozenset()  # a row that always holds

# question id → (symptoms, answer id) rows, in order
BY_SYMPTOMS: dict[str, tuple[tuple[frozenset[str], str], ...]] = {
    "place": ((ANY, "home"),),
    "adult_reason": (
        (frozenset({"fever", "sore_throat", "runny_nose"}), "fever"),
        (frozenset({"cough", "dyspnea"}), "cough"),
        (frozenset({"blood_pressure"}), "pressure"),
        (
            frozenset({"chest_pain", "abdominal_pain", "headache", "back_pain", "joint_pain"}),
            "pain",
        ),
        (frozenset({"weakness"}), "chronic"),
        (frozenset({"sick_leave", "prescription"}), "papers"),
        (frozenset({"death_confirmation", "rash"}), "other"),
    ),
    "adult_pain": (
        (frozenset({"chest_pain"}), "chest"),
        (frozenset({"abdominal_pain"}), "belly"),
        (frozenset({"headache"}), "head"),
        (frozenset({"back_pain", "joint_pain"}), "back"),
    ),
    "adult_other_kind": ((frozenset({"death_confirmation"}), "yes"), (ANY, "no")),
    "child_reason": (
        (frozenset({"fever"}), "fever"),
        (frozenset({"cough", "sore_throat", "runny_nose"}), "cold"),
        (frozenset({"abdominal_pain", "nausea_vomiting", "diarrhea"}), "belly"),
        (frozenset({"rash"}), "rash"),
        (frozenset({"patronage"}), "patronage"),
        (frozenset({"sick_leave", "prescription"}), "papers"),
    ),
}


@dataclass(frozen=True, slots=True)
class Known:
    """What the dialog knows: the facts (age, temperature) and the complaint's symptoms."""

    facts: Facts
    symptoms: frozenset[str]

    def answer(self, question: Question | None) -> str | None:
        """The answer id the dialog gives to this question, or None when it must be asked."""
        if question is None:
            return None
        known = question.known_answer(self.facts)
        if known is not None:
            return known.id
        for symptoms, answer_id in BY_SYMPTOMS.get(question.id, ()):
            if (not symptoms or symptoms & self.symptoms) and question.answer(answer_id):
                return answer_id
        return None

    def fill(self, questionnaire: Questionnaire, answers: list[str]) -> list[str]:
        """The answers, then those the dialog gives, up to the first question to ask."""
        answers = list(answers)
        while (found := self.answer(questionnaire.walk(answers).question)) is not None:
            answers.append(found)
        return answers

    def back(self, questionnaire: Questionnaire, answers: list[str]) -> list[str] | None:
        """The answers before the last question the patient answered; None when none was."""
        answers = list(answers)
        while answers and self.answer(questionnaire.walk(answers[:-1]).question) is not None:
            answers.pop()
        if not answers:
            return None
        return answers[:-1]
