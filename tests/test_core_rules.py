"""Domain rules as data tables: phones, policies, ages, districts, planning, lifecycle."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from intake_core.districts import HouseRuleError, parse_house_rules
from intake_core.errors import IllegalTransition
from intake_core.intake import InvalidBirthDate, latest_local_date, parse_birth_date
from intake_core.overdue import Deadlines
from intake_core.patient import AgeCategory, age_category, describe_age
from intake_core.phones import InvalidPhone, mask_phone, normalize_phone
from intake_core.planning import CUTOFF_SCRIPT, WorkCalendar
from intake_core.policy import enp_check_digit_ok, parse_policy
from intake_core.status import TRANSITIONS, Action, CallStatus, next_status


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (916) 123-45-67", "+79161234567"),
        ("+7 916 123 45 67", "+79161234567"),
        ("79161234567", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("89261112233", "+79261112233"),
        ("4722585201", "+74722585201"),
        ("8 4722 58-52-01", "+74722585201"),
        ("+7(4722)58-52-01", "+74722585201"),
        ("anonymous", None),
        ("<unknown>", None),
        ("", None),
    ],
)
def test_phone_normalize_gives_e164(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "8 916 123", "abc", "+1 555", "8 (000) 000-00-00"])
def test_phone_normalize_rejects_garbage(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_phone_mask_hides_middle_digits() -> None:
    assert mask_phone("+79161234567") == "+791***4567"


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("5090289794000934", True),
        ("3497689748000100", True),
        ("5090289794000935", False),
        ("1234567891011121", False),
    ],
)
def test_policy_enp_check_digit(number: str, valid: bool) -> None:
    assert enp_check_digit_ok(number) is valid


@pytest.mark.parametrize(
    ("series", "number", "message"),
    [
        (None, "5090289794000935", "контрольная цифра"),
        (None, "50902897940009", "16 цифр"),
        (None, "50902897940009AB", "16 цифр"),
        ("ААА", "12", "от 6 до 12"),
        ("ААА", "", "номер полиса"),
    ],
)
def test_policy_invalid_gets_russian_reason(series: str | None, number: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(series, number)


def test_policy_old_series_and_number_accepted() -> None:
    policy = parse_policy("мос", "123456789")
    assert policy is not None and policy.series == "МОС" and not policy.is_enp


@pytest.mark.parametrize(
    ("birth", "today", "category", "text"),
    [
        (date(2015, 3, 2), date(2026, 11, 23), AgeCategory.CHILD, "11 лет"),
        (date(2008, 11, 24), date(2026, 11, 23), AgeCategory.CHILD, "17 лет"),
        (date(2008, 11, 23), date(2026, 11, 23), AgeCategory.ADULT, "18 лет"),
        (date(2026, 2, 1), date(2026, 11, 23), AgeCategory.CHILD, "9 месяцев"),
        (date(2025, 11, 1), date(2026, 11, 23), AgeCategory.CHILD, "1 год"),
        (date(2026, 11, 20), date(2026, 11, 23), AgeCategory.CHILD, "3 дня"),
    ],
)
def test_patient_age_and_category(
    birth: date, today: date, category: AgeCategory, text: str
) -> None:
    assert age_category(birth, today) is category
    assert describe_age(birth, today) == text


@pytest.mark.parametrize(
    ("rules", "house", "inside"),
    [
        ("Ч(2-20)", "2", True),
        ("Ч(2-20)", "20", True),
        ("Ч(2-20)", "12А", True),
        ("Ч(2-20)", "13", False),
        ("Ч(2-20)", "22", False),
        ("Н(1-19)", "19", True),
        ("Н(1-19)", "18", False),
        ("Ч(2-20), Н(1-19)", "7", True),
        ("1-15", "15к2", True),
        ("25, 27к1", "27К1", True),
        ("25, 27к1", "27", False),
        ("все", "999", True),
        ("", "1", True),
    ],
)
def test_district_house_rules(rules: str, house: str, inside: bool) -> None:
    assert any(rule.matches(house) for rule in parse_house_rules(rules)) is inside


@pytest.mark.parametrize("rules", ["Ч(20-2)", "дом у реки", "Х(1-5)"])
def test_district_house_rules_refuse_nonsense(rules: str) -> None:
    with pytest.raises(HouseRuleError):
        parse_house_rules(rules)


@pytest.mark.parametrize(
    ("moment", "planned"),
    [
        (datetime(2026, 11, 23, 9, 0), date(2026, 11, 23)),  # Monday morning
        (datetime(2026, 11, 23, 12, 59), date(2026, 11, 23)),
        (datetime(2026, 11, 23, 13, 0), date(2026, 11, 24)),  # the 13:00 rule
        (datetime(2026, 11, 28, 15, 0), date(2026, 11, 30)),  # Saturday afternoon → Monday
        (datetime(2026, 11, 29, 10, 0), date(2026, 11, 30)),  # Sunday → Monday
    ],
)
def test_planning_cutoff_rule(moment: datetime, planned: date) -> None:
    assert WorkCalendar().planned_date(moment) == planned


def test_planning_script_phrase_after_cutoff_only() -> None:
    calendar = WorkCalendar(cutoff=time(13, 0))
    assert calendar.cutoff_notice(datetime(2026, 11, 23, 12, 0)) is None
    notice = calendar.cutoff_notice(datetime(2026, 11, 23, 13, 30))
    assert notice == CUTOFF_SCRIPT and "после 13-00" in notice and "112" in notice


def test_overdue_flags_unassigned_and_unserved() -> None:
    deadlines = Deadlines()
    created = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert not deadlines.is_overdue(CallStatus.NEW, created, None, created + timedelta(minutes=29))
    assert deadlines.is_overdue(CallStatus.NEW, created, None, created + timedelta(minutes=31))
    assigned = created + timedelta(minutes=10)
    later = assigned + timedelta(hours=25)
    assert deadlines.is_overdue(CallStatus.ACTIVE, created, assigned, later)
    assert not deadlines.is_overdue(CallStatus.SERVED, created, assigned, later)


ALL_MOVES = [(status, action) for status in CallStatus for action in Action]


@pytest.mark.parametrize(("status", "action"), ALL_MOVES)
def test_status_table_allows_only_listed_moves(status: CallStatus, action: Action) -> None:
    sources, target = TRANSITIONS[action]
    if status in sources:
        assert next_status(status, action) is target
    else:
        with pytest.raises(IllegalTransition, match="Нельзя"):
            next_status(status, action)


@pytest.mark.parametrize(
    ("moment", "born", "accepted"),
    [
        # момент (UTC), дата рождения, принята ли
        (datetime(2026, 12, 6, 22, 30, tzinfo=UTC), "07.12.2026", True),  # в Москве уже 7-е
        (datetime(2026, 12, 6, 12, 30, tzinfo=UTC), "07.12.2026", True),  # на Камчатке уже 7-е
        (datetime(2026, 12, 6, 11, 30, tzinfo=UTC), "07.12.2026", False),  # нигде ещё не 7-е
        (datetime(2026, 12, 6, 22, 30, tzinfo=UTC), "08.12.2026", False),
        (datetime(2026, 12, 6, 22, 30, tzinfo=UTC), "06.12.2026", True),
    ],
)
def test_birth_date_is_checked_against_the_latest_date_in_russia(
    moment: datetime, born: str, accepted: bool
) -> None:
    try:
        parse_birth_date(born, latest_local_date(moment))
    except InvalidBirthDate as exc:
        assert not accepted and "в будущем" in str(exc)
    else:
        assert accepted
