"""A reproducible month of calls with service cards (seeded), with a known mismatch structure.

What the analytics should find in it:
- operator `month-op3` codes the wrong questionnaire branch about one call in five;
- the branches `adult_pressure_high`, `adult_back` (often need a specialist), `child_rash_home`
  and the papers ones (a фельдшер would do) are weak;
- pediatricians and specialists are short (substitutes sent), more so at weekends;
- the children's department assigns slower; calls after the 13:00 cutoff wait for the next day;
- some calls are reassigned (the first assignment ends «time to assign»);
- visits end mostly «left at home»; «death» only on the death branch; refusals of
  hospitalisation carry a reason; diagnoses follow the branch (ICD-10); the three
  districts' doctors last by code are twice as long on the road (from their own stream,
  `visit_rng`, so the calls above do not change with it).
Only the records are made here; `month_store` writes them into the database.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake_core.call import Source
from intake_core.patient import AgeCategory
from intake_core.questionnaire import Questionnaire, load_questionnaire
from intake_core.status import CallStatus

CUTOFF = time(13, 0)
MOSCOW = ZoneInfo("Europe/Moscow")

# per outcome of the shipped questionnaire: how common it is, and the profiles really needed
# (the weak branches: high pressure, back pain, a child's rash, adult papers)
OUTCOME_MIX: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "adult_fever_home": (25, (("Т", 0.94), ("В", 0.06))),
    "adult_fever_high": (8, (("Т", 0.92), ("В", 0.08))),
    "adult_cough": (15, (("Т", 0.95), ("В", 0.05))),
    "adult_pressure_home": (6, (("Т", 0.85), ("У", 0.15))),
    "adult_pressure_high": (5, (("Т", 0.55), ("У", 0.45))),
    "adult_back": (5, (("Т", 0.65), ("У", 0.35))),
    "adult_belly_home": (4, (("Т", 0.90), ("У", 0.10))),
    "adult_headache": (3, (("Т", 0.85), ("У", 0.15))),
    "adult_chronic": (6, (("Т", 0.80), ("В", 0.20))),
    "adult_other": (3, (("Т", 0.80), ("В", 0.10), ("Ф", 0.10))),
    "adult_papers": (6, (("Т", 0.60), ("Ф", 0.40))),
    "adult_procedure": (3, (("Ф", 0.90), ("Т", 0.10))),
    "adult_specialist": (3, (("У", 0.85), ("Т", 0.15))),
    "adult_death": (0.3, (("Т", 1.0),)),
    "child_fever": (20, (("П", 0.97), ("В", 0.03))),
    "child_fever_high": (6, (("П", 0.97), ("В", 0.03))),
    "child_cold": (15, (("П", 0.96), ("В", 0.04))),
    "child_belly_home": (4, (("П", 0.85), ("У", 0.15))),
    "child_rash_home": (4, (("П", 0.55), ("У", 0.45))),
    "child_patronage": (3, (("П", 0.95), ("Ф", 0.05))),
    "child_other": (2, (("П", 0.90), ("В", 0.10))),
    "child_papers": (4, (("П", 0.70), ("Ф", 0.30))),
}
OTHER_OUTCOME: tuple[float, tuple[tuple[str, float], ...]] = (2, ())  # an MO's own outcome


@dataclass(frozen=True, slots=True)
class Branch:
    """A questionnaire outcome, the answers leading to it and the profiles really needed."""

    id: str
    reason_code: str
    text: str
    urgency: str
    weight: float
    needed: tuple[tuple[str, float], ...]
    answers: tuple[tuple[str, str], ...]  # (question, answer) texts as the operator saw them

    @property
    def letter(self) -> str:
        return self.reason_code[-1]


def questionnaire_branches(questionnaire: Questionnaire) -> dict[AgeCategory, tuple[Branch, ...]]:
    """Every outcome of the questionnaire as a branch; children's ones by the pediatric letter."""
    first_path: dict[str, list[str]] = {}
    for path in questionnaire.paths():
        end = questionnaire.walk(path).outcome
        if end is not None:
            first_path.setdefault(end.id, path)
    branches: dict[AgeCategory, list[Branch]] = {AgeCategory.ADULT: [], AgeCategory.CHILD: []}
    for outcome in questionnaire.outcomes.values():
        if outcome.id not in first_path:
            continue
        weight, needed = OUTCOME_MIX.get(outcome.id, OTHER_OUTCOME)
        walk = questionnaire.walk(first_path[outcome.id])
        child = outcome.id.startswith("child") or outcome.letter == "П"
        branches[AgeCategory.CHILD if child else AgeCategory.ADULT].append(
            Branch(
                id=outcome.id,
                reason_code=outcome.code,
                text=outcome.text,
                urgency=outcome.urgency.value,
                weight=weight,
                needed=needed or ((outcome.letter, 1.0),),
                answers=tuple((s.question.text, s.answer.text) for s in walk.steps),
            )
        )
    return {category: tuple(found) for category, found in branches.items()}


# who is sent for a reason letter: (letter, weight) on weekdays and at weekends
SENT: dict[str, tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]] = {
    "Т": ((("Т", 0.93), ("В", 0.07)), (("Т", 0.85), ("В", 0.15))),
    "П": ((("П", 0.82), ("В", 0.12), ("Ф", 0.06)), (("П", 0.62), ("В", 0.26), ("Ф", 0.12))),
    "В": ((("В", 0.85), ("Т", 0.15)), (("В", 0.85), ("Т", 0.15))),
    "Ф": ((("Ф", 0.90), ("Т", 0.10)), (("Ф", 0.90), ("Т", 0.10))),
    "У": ((("У", 0.45), ("Т", 0.40), ("В", 0.15)), (("У", 0.20), ("Т", 0.55), ("В", 0.25))),
}

CHANNELS = (
    (Source.CALL_CENTER, 0.42),
    (Source.REGISTRY, 0.20),
    (Source.PORTAL, 0.14),
    (Source.TELEGRAM, 0.14),
    (Source.AMBULANCE, 0.07),
    (Source.DOCTOR, 0.03),
)
HOURS = (  # local hour of creation and its weight
    (7, 4), (8, 10), (9, 14), (10, 14), (11, 12), (12, 10), (13, 8),
    (14, 7), (15, 6), (16, 5), (17, 4), (18, 3), (19, 2),
)  # fmt: skip
RESULTS = (
    ("left_at_home", 0.85),
    ("hospitalised", 0.05),
    ("handed_over", 0.03),
    ("refused_hospitalisation", 0.03),
    ("nobody_home", 0.04),
)
DEATH_BRANCH = "adult_death"  # its visits end in «death»
REFUSALS = (
    ("Не с кем оставить детей", 3),
    ("Уход за больным родственником", 2),
    ("Не доверяет стационару", 2),
    ("Лечился в стационаре недавно", 1),
)
# ICD-10 codes a branch's visits end with (weights); a visit gets one code, sometimes two
DIAGNOSES: dict[str, tuple[tuple[str, float], ...]] = {
    "adult_fever_home": (("J06.9", 6), ("J11.1", 3), ("U07.1", 1)),
    "adult_fever_high": (("J11.1", 4), ("J18.9", 3), ("J06.9", 3)),
    "adult_cough": (("J20.9", 5), ("J06.9", 3), ("J44.1", 2)),
    "adult_pressure_home": (("I10", 6), ("I11.9", 3), ("I67.4", 1)),
    "adult_pressure_high": (("I11.9", 4), ("I10", 3), ("I67.4", 3)),
    "adult_back": (("M54.5", 5), ("M54.4", 3), ("M51.1", 2)),
    "adult_belly_home": (("K29.7", 4), ("K58.9", 3), ("A09", 3)),
    "adult_headache": (("G44.2", 5), ("I10", 3), ("R51", 2)),
    "adult_chronic": (("I25.1", 4), ("E11.9", 3), ("J44.9", 3)),
    "adult_other": (("R53", 5), ("R50.9", 5)),
    "adult_papers": (("Z76.0", 7), ("Z02.7", 3)),
    "adult_procedure": (("Z48.0", 6), ("Z51.8", 4)),
    "adult_specialist": (("G81.9", 4), ("M17.9", 3), ("G20", 3)),
    "adult_death": (("R99", 1),),
    "child_fever": (("J06.9", 6), ("B34.9", 2), ("J02.9", 2)),
    "child_fever_high": (("J11.1", 4), ("J06.9", 4), ("J03.9", 2)),
    "child_cold": (("J00", 5), ("J06.9", 4), ("J20.9", 1)),
    "child_belly_home": (("K59.0", 4), ("A08.4", 4), ("K30", 2)),
    "child_rash_home": (("B01.9", 4), ("L50.9", 4), ("B09", 2)),
    "child_patronage": (("Z00.1", 1),),
    "child_other": (("R50.9", 5), ("R11", 5)),
    "child_papers": (("Z02.7", 1),),
}
OTHER_DIAGNOSES = (("R69", 1),)
SECOND_DIAGNOSIS = 0.15
SLOW_DOCTORS = 3  # doctors (the last of the districts' ones) twice as long on the road
LAST_NAMES = ("Примеров", "Тестов", "Образцов", "Демонстров", "Условный", "Шаблонов", "Пробный")
FIRST_NAMES = ("Иван", "Пётр", "Семён", "Олег", "Марк", "Лев", "Глеб", "Ян")


@dataclass(frozen=True, slots=True)
class MonthOperator:
    login: str
    full_name: str
    role: str
    error_rate: float  # how often a wrong branch is chosen
    channel: Source


OPERATORS = (
    MonthOperator("month-op1", "Оператор Первый (демо)", "agent", 0.03, Source.CALL_CENTER),
    MonthOperator("month-op2", "Оператор Второй (демо)", "agent", 0.04, Source.CALL_CENTER),
    MonthOperator("month-op3", "Оператор Третий (демо)", "agent", 0.22, Source.CALL_CENTER),
    MonthOperator("month-op4", "Регистратор Четвёртый (демо)", "registry", 0.05, Source.REGISTRY),
    MonthOperator("month-op5", "Регистратор Пятый (демо)", "registry", 0.06, Source.REGISTRY),
)
REASSIGNED = 0.04  # calls given to another doctor after the first assignment
SELF_CODING_ERROR = 0.08  # patients on the portal or in the bot choose the branch themselves


@dataclass(frozen=True, slots=True)
class MonthDoctor:
    code: str
    last_name: str
    first_name: str
    middle_name: str
    profile: str
    letter: str
    district_code: str | None


@dataclass(frozen=True, slots=True)
class DistrictLayout:
    code: str
    department_code: str
    category: AgeCategory


@dataclass(frozen=True, slots=True)
class MonthCard:
    operator_login: str | None
    branch: Branch
    coded_at: datetime
    sent_letter: str | None
    sent_doctor_code: str | None
    postfactum_letter: str | None


@dataclass(frozen=True, slots=True)
class MonthCall:
    """One generated call; `real_branch` is what the questionnaire should have given.

    `assigned_at` is the last assignment (what the call row keeps); `first_assigned_at` the
    first one, earlier when the call was reassigned.
    """

    index: int
    department_code: str
    district_code: str
    category: AgeCategory
    channel: Source
    status: CallStatus
    created_at: datetime
    assigned_at: datetime | None
    first_assigned_at: datetime | None
    served_at: datetime | None
    doctor_code: str | None
    result: str | None
    real_branch: Branch
    card: MonthCard | None
    result_reason: str | None = None
    diagnoses: tuple[str, ...] = ()
    departed_at: datetime | None = None  # the trip of a served call; it ends at `served_at`
    arrived_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Month:
    questionnaire_id: str
    questionnaire_version: str
    first: date
    last: date
    now: datetime  # the moment the month is seen from (open calls are late or not against it)
    operators: tuple[MonthOperator, ...]
    doctors: tuple[MonthDoctor, ...]
    calls: tuple[MonthCall, ...]


def month_doctors(districts: list[DistrictLayout]) -> tuple[MonthDoctor, ...]:
    """A therapist per adult district, a pediatrician per children's one, and the rest."""
    doctors = []
    for n, district in enumerate(districts, 1):
        child = district.category is AgeCategory.CHILD
        doctors.append(
            MonthDoctor(
                f"M{n:02d}",
                LAST_NAMES[n % len(LAST_NAMES)] + ("а" if n % 2 else ""),
                "Анна" if n % 2 else "Павел",
                "Игоревна" if n % 2 else "Сергеевич",
                "педиатр" if child else "терапевт",
                "П" if child else "Т",
                district.code,
            )
        )
    extra = (
        ("врач общей практики", "В"),
        ("врач общей практики", "В"),
        ("фельдшер", "Ф"),
        ("фельдшер", "Ф"),
        ("невролог", "У"),
    )
    for n, (profile, letter) in enumerate(extra, len(districts) + 1):
        doctors.append(
            MonthDoctor(
                f"M{n:02d}",
                LAST_NAMES[n % len(LAST_NAMES)],
                "Олег",
                "Петрович",
                profile,
                letter,
                None,
            )
        )
    return tuple(doctors)


def _choice(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    values = [value for value, _weight in weighted]
    weights = [weight for _value, weight in weighted]
    return rng.choices(values, weights)[0]


class _Generator:
    def __init__(
        self,
        seed: int,
        zone: ZoneInfo,
        districts: list[DistrictLayout],
        now: datetime,
        branches: dict[AgeCategory, tuple[Branch, ...]],
    ) -> None:
        self.rng = random.Random(seed)
        # a stream of its own for the visit's outcome, so the calls stay as they were
        self.visit_rng = random.Random(seed * 7919 + 1)
        self.branches = branches
        self.zone = zone
        self.districts = districts
        self.now = now
        self.doctors = month_doctors(districts)
        self.by_letter: dict[str, list[MonthDoctor]] = {}
        for doctor in self.doctors:
            self.by_letter.setdefault(doctor.letter, []).append(doctor)
        slow = {d.code for d in self.doctors if d.district_code}
        slow = set(sorted(slow)[-SLOW_DOCTORS:])
        self.pace = {d.code: 2.0 if d.code in slow else 1.0 for d in self.doctors}

    def visit(
        self, branch: Branch, result: str, doctor: MonthDoctor, assigned: datetime, served: datetime
    ) -> tuple[str | None, tuple[str, ...], datetime, datetime]:
        """A served call's refusal reason, diagnoses, departure and arrival (ending at service)."""
        rng = self.visit_rng
        reason = _choice(rng, REFUSALS) if result == "refused_hospitalisation" else None
        codes: tuple[str, ...] = ()
        if result != "nobody_home":
            weighted = DIAGNOSES.get(branch.id, OTHER_DIAGNOSES)
            first = _choice(rng, weighted)
            codes = (first,)
            others = [(code, w) for code, w in weighted if code != first]
            if others and rng.random() < SECOND_DIAGNOSIS:
                codes = (first, _choice(rng, tuple(others)))
        at_patient = timedelta(minutes=rng.lognormvariate(math.log(25), 0.35))
        on_road = timedelta(minutes=rng.lognormvariate(math.log(18), 0.45) * self.pace[doctor.code])
        # departure waits for the doctor's round: whatever the serve delay leaves
        to_depart = timedelta(minutes=rng.lognormvariate(math.log(40), 0.6))
        room = served - assigned
        total = to_depart + on_road + at_patient
        if total > room:  # a quick call: the stages shrink to fit
            to_depart, on_road, at_patient = (
                part * (room / total) for part in (to_depart, on_road, at_patient)
            )
        arrived = served - at_patient
        departed = arrived - on_road
        return reason, codes, departed, arrived

    def created(self, day: date) -> datetime:
        hours, weights = zip(*HOURS, strict=True)
        hour = self.rng.choices(hours, weights)[0]
        local = datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)))
        return local.replace(tzinfo=self.zone)

    def assign_delay(self, category: AgeCategory, channel: Source, weekend: bool) -> timedelta:
        median = 17.0 if category is AgeCategory.CHILD else 12.0
        median *= 1.6 if weekend else 1.0
        median *= 1.3 if channel in (Source.PORTAL, Source.TELEGRAM) else 1.0
        minutes = self.rng.lognormvariate(math.log(median), 0.75)
        return timedelta(minutes=max(1.0, minutes))

    def serve_delay(self, assigned: datetime) -> timedelta:
        local = assigned.astimezone(self.zone)
        if local.time() < CUTOFF:
            hours = min(self.rng.lognormvariate(math.log(4.0), 0.5), 11.0)
        else:  # the next day's round
            next_morning = datetime.combine(local.date() + timedelta(days=1), time(9), self.zone)
            hours = (next_morning - local) / timedelta(hours=1) + self.rng.uniform(0.5, 9.0)
        if self.rng.random() < 0.03:
            hours += self.rng.uniform(24, 48)
        return timedelta(hours=hours)

    def branch(self, category: AgeCategory) -> Branch:
        branches = self.branches[category]
        return self.rng.choices(branches, [b.weight for b in branches])[0]

    def coded_branch(self, real: Branch, error_rate: float) -> Branch:
        if self.rng.random() >= error_rate:
            return real
        wrong = [b for bs in self.branches.values() for b in bs if b.letter != real.letter]
        return self.rng.choices(wrong, [b.weight for b in wrong])[0]

    def sent_doctor(self, letter: str, weekend: bool, district: str) -> MonthDoctor:
        chains = SENT.get(letter, (((letter, 1.0),), ((letter, 1.0),)))
        sent = _choice(self.rng, chains[1 if weekend else 0])
        pool = self.by_letter.get(sent) or list(self.doctors)
        own = [d for d in pool if d.district_code == district]
        return own[0] if own and self.rng.random() < 0.8 else self.rng.choice(pool)

    def operator(self, channel: Source) -> MonthOperator | None:
        mine = [o for o in OPERATORS if o.channel is channel]
        return self.rng.choice(mine) if mine else None

    def call(self, index: int, day: date) -> MonthCall:
        rng = self.rng
        district = rng.choice(self.districts)
        channel = Source(_choice(rng, tuple((c.value, w) for c, w in CHANNELS)))
        weekend = day.weekday() >= 5
        created = self.created(day)
        real = self.branch(district.category)
        needed = _choice(rng, real.needed)
        coded: Branch | None = None
        operator = self.operator(channel)
        if channel in (Source.PORTAL, Source.TELEGRAM):
            coded = self.coded_branch(real, SELF_CODING_ERROR)
        elif operator is not None:
            coded = self.coded_branch(real, operator.error_rate)
        fate = rng.random()
        assigned: datetime | None = created + self.assign_delay(district.category, channel, weekend)
        served: datetime | None = None
        status = CallStatus.SERVED
        if fate < 0.01:
            status, assigned = CallStatus.TRANSFERRED, None
        elif fate < 0.03:
            status, assigned = CallStatus.CANCELLED, None
        assert assigned is not None or status is not CallStatus.SERVED
        forgotten = fate > 0.99 and (self.now - created) < timedelta(days=2)
        if assigned is not None and (assigned > self.now or forgotten):
            status, assigned = CallStatus.NEW, None  # still waiting, late by `now`
        first_assigned = assigned
        if assigned is not None and rng.random() < REASSIGNED:
            later = assigned + timedelta(minutes=rng.uniform(20, 180))
            assigned = later if later < self.now else assigned
        if assigned is not None:
            served = assigned + self.serve_delay(assigned)
            if fate < 0.05:
                status, served = CallStatus.CANCELLED, None
            elif served > self.now:
                status, served = CallStatus.ACTIVE, None
        doctor: MonthDoctor | None = None
        if assigned is not None:
            letter = coded.letter if coded is not None else real.letter
            doctor = self.sent_doctor(letter, weekend, district.code)
        result = _choice(rng, RESULTS) if status is CallStatus.SERVED else None
        visit: tuple[str | None, tuple[str, ...], datetime | None, datetime | None] = (
            None,
            (),
            None,
            None,
        )
        if result is not None:
            assert doctor is not None and assigned is not None and served is not None
            result = "death" if real.id == DEATH_BRANCH else result
            visit = self.visit(real, result, doctor, assigned, served)
        card = None
        if coded is not None:
            card = MonthCard(
                operator_login=operator.login if operator is not None else None,
                branch=coded,
                coded_at=created,
                sent_letter=doctor.letter if doctor is not None else None,
                sent_doctor_code=doctor.code if doctor is not None else None,
                postfactum_letter=needed if status is CallStatus.SERVED else None,
            )
        return MonthCall(
            index=index,
            department_code=district.department_code,
            district_code=district.code,
            category=district.category,
            channel=channel,
            status=status,
            created_at=created,
            assigned_at=assigned,
            first_assigned_at=first_assigned,
            served_at=served,
            doctor_code=doctor.code if doctor is not None else None,
            result=result,
            real_branch=real,
            card=card,
            result_reason=visit[0],
            diagnoses=visit[1],
            departed_at=visit[2],
            arrived_at=visit[3],
        )


def generate_month(
    first: date,
    districts: list[DistrictLayout],
    *,
    seed: int = 2026,
    calls_per_day: int = 100,
    days: int | None = None,
    zone: ZoneInfo = MOSCOW,
    questionnaire: Questionnaire | None = None,
) -> Month:
    """A month (or `days` days) from `first`, seen from the next day's 10:00 local time.

    Reason codes come from the questionnaire (the shipped home-visit one by default).
    """
    if not districts:
        raise ValueError("the MO has no districts")
    questionnaire = questionnaire or load_questionnaire()
    branches = questionnaire_branches(questionnaire)
    if not branches[AgeCategory.ADULT] or not branches[AgeCategory.CHILD]:
        raise ValueError("the questionnaire needs outcomes for adults and for children")
    if days is None:
        after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        days = (after - first).days
    last = first + timedelta(days=days - 1)
    now = datetime.combine(last + timedelta(days=1), time(10), zone)
    generator = _Generator(seed, zone, districts, now, branches)
    calls: list[MonthCall] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        count = calls_per_day if day.weekday() < 5 else calls_per_day // 2
        count = max(1, round(count * generator.rng.uniform(0.85, 1.15)))
        calls.extend(generator.call(len(calls), day) for _ in range(count))
    calls.sort(key=lambda c: c.created_at)
    return Month(
        questionnaire.id,
        questionnaire.version,
        first,
        last,
        now,
        OPERATORS,
        generator.doctors,
        tuple(calls),
    )
