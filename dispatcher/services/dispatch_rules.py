"""The MO's dispatch tables — questionnaire, substitution table, profile letters — loaded once."""

from __future__ import annotations

from dataclasses import dataclass

from dispatcher.settings import Settings
from intake_core.profile import ProfileLetters, load_profiles
from intake_core.questionnaire import Questionnaire, load_questionnaire
from intake_core.substitution import SubstitutionTable, SubstitutionTableError, load_table


@dataclass(frozen=True, slots=True)
class DispatchRules:
    questionnaire: Questionnaire
    table: SubstitutionTable
    profiles: ProfileLetters

    @property
    def letters(self) -> tuple[str, ...]:
        return self.table.letters

    def letter_of(self, profile_letter: str | None, profile: str) -> str:
        """A doctor's letter: as imported, else from the profile text."""
        return profile_letter or self.profiles.letter_for(profile)


def load_rules(settings: Settings) -> DispatchRules:
    """Refuses tables that disagree on the letters, so every reason code finds its card."""
    questionnaire = load_questionnaire(settings.dispatch_questionnaire_path)
    table = load_table(settings.dispatch_substitution_path)
    profiles = load_profiles()
    codes = {o.letter for o in questionnaire.outcomes.values()}
    problems = [f"нет карты для буквы «{x}» из опросника" for x in sorted(codes - set(table.cards))]
    problems += [
        f"буква «{x}» таблицы не описана в profiles.yaml"
        for x in table.letters
        if x not in profiles.names
    ]
    if problems:
        raise SubstitutionTableError("", problems)
    return DispatchRules(questionnaire, table, profiles)


def describe_rules(rules: DispatchRules) -> list[str]:
    """What `python -m dispatcher check-tables` prints for tables that passed every check."""
    q, table = rules.questionnaire, rules.table
    columns = sum(len(c) for c in table.cards.values())
    return [
        f"Опросник «{q.title}» ({q.id}, версия {q.version}): вопросов {len(q.questions)}, "
        f"путей {len(q.paths())}, итогов {len(q.outcomes)}, выходов на 103/112 {len(q.exits)}; "
        "каждый путь заканчивается итогом или выходом",
        f"Таблица подмен, версия {table.version}: карт {len(table.cards)} "
        f"({', '.join(table.cards)}), колонок {columns}",
    ]
