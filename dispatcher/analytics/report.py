"""A period's figures and the same figures as titled tables (Russian) for the page and exports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from dispatcher.analytics.distribution import Bucket, Distribution
from dispatcher.analytics.facts import MoFrame
from dispatcher.analytics.load import DoctorLoad, doctor_load
from dispatcher.analytics.outcomes import (
    STAGES,
    Diagnoses,
    ResultCounts,
    TripTimes,
    diagnoses,
    refusal_reasons,
    results_by,
    stage_pairs,
    trip_times,
)
from dispatcher.analytics.quality import DispatchQuality, Mismatch, dispatch_quality
from dispatcher.analytics.records import CallFact, Names, Period
from dispatcher.analytics.sla import Compliance, SlaReport, sla_report
from intake_core.call import ServiceResult, Source

Cell = str | int | float | None

WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
NO_OPERATOR = "Без оператора (бот, портал)"


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report: a file-safe name, a Russian title, columns and rows."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the head of an MO sees for a period."""

    mo: MoFrame
    period: Period
    now: datetime
    calls: int
    names: Names
    quality: DispatchQuality
    sla: SlaReport
    load: list[DoctorLoad]
    outcomes: Outcomes


@dataclass(frozen=True, slots=True)
class Outcomes:
    """The service cards' part: results per group, refusals, diagnoses, trip times."""

    by_department: list[ResultCounts]
    by_doctor: list[ResultCounts]
    by_profile: list[ResultCounts]
    refusals: Counter[str]
    diagnoses: Diagnoses
    trip_overall: TripTimes
    trip_by_department: list[TripTimes]
    trip_by_doctor: list[TripTimes]


def _outcomes(facts: list[CallFact], names: Names) -> Outcomes:
    def profile(fact: CallFact) -> str | None:
        letter = names.doctor_letters.get(fact.doctor_id) if fact.doctor_id else None
        return letter or (fact.card.sent_letter if fact.card else None)

    visited = [f for f in facts if f.outcome is not None]
    stages = stage_pairs(visited)
    overall = trip_times(stages, lambda f: "all")
    return Outcomes(
        by_department=results_by(visited, lambda f: f.department_id),
        by_doctor=results_by(visited, lambda f: f.doctor_id),
        by_profile=results_by(visited, profile),
        refusals=refusal_reasons(visited),
        diagnoses=diagnoses(visited),
        trip_overall=overall[0] if overall else TripTimes("all"),
        trip_by_department=trip_times(stages, lambda f: f.department_id),
        trip_by_doctor=trip_times(stages, lambda f: f.doctor_id),
    )


def build_report(
    facts: Iterable[CallFact], names: Names, mo: MoFrame, period: Period, now: datetime
) -> Report:
    facts = list(facts)
    return Report(
        mo=mo,
        period=period,
        now=now,
        calls=len(facts),
        names=names,
        quality=dispatch_quality(facts),
        sla=sla_report(facts, mo.deadlines, mo.zone, now),
        load=doctor_load(facts, mo.zone),
        outcomes=_outcomes(facts, names),
    )


def percent(part: float | None) -> float | None:
    return None if part is None else round(100 * part, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _instead(counter: Counter[str]) -> str:
    return ", ".join(f"{letter}: {count}" for letter, count in counter.most_common())


def day_label(day: date) -> str:
    return f"{day:%d.%m.%Y} ({WEEKDAYS[day.weekday()]})"


def channel_label(value: str) -> str:
    try:
        return Source(value).label
    except ValueError:
        return value


def _limits(report: Report) -> tuple[str, str]:
    minutes = int(report.sla.deadlines.assign.total_seconds() // 60)
    hours = int(report.sla.deadlines.serve.total_seconds() // 3600)
    return f"{minutes} мин", f"{hours} ч"


def summary_rows(report: Report) -> list[tuple[Cell, ...]]:
    q, s, o = report.quality, report.sla, report.outcomes
    assign, serve = _limits(report)
    served = sum(r.total for r in o.by_department)
    hospitalised = sum(r.counts[ServiceResult.HOSPITALISED.value] for r in o.by_department)
    return [
        ("Вызовов за период", report.calls),
        ("Карт обслуживания с кодом повода", q.cards),
        ("Полных кодов выезда (три буквы)", q.complete),
        ("Совпадают все три буквы, %", percent(q.exact / q.complete if q.complete else None)),
        ("Повод ≠ факт (ошибка приёма), %", percent(q.coded_vs_needed.rate)),
        ("Повод ≠ направлен (нехватка профиля), %", percent(q.coded_vs_sent.rate)),
        ("Направлен ≠ факт (помощь не тем профилем), %", percent(q.sent_vs_needed.rate)),
        (f"Назначено в срок ({assign}), %", percent(s.overall.assign_share)),
        (f"Обслужено в срок ({serve}), %", percent(s.overall.serve_share)),
        ("Медиана времени до назначения, мин", _round(s.assign.percentiles[50])),
        ("Медиана времени до обслуживания, ч", _round(s.serve.percentiles[50])),
        ("Вызовов с результатом", served),
        ("Госпитализировано, %", percent(hospitalised / served if served else None)),
        ("Медиана пути (выезд → прибытие), мин", _round(o.trip_overall.percentile("on_road", 50))),
    ]


def _mismatch_rows(
    rows: list[Mismatch], label: Callable[[Hashable], tuple[Cell, ...]]
) -> list[tuple[Cell, ...]]:
    return [
        (*label(m.key), m.total, m.mismatched, percent(m.rate), _instead(m.instead)) for m in rows
    ]


def _compliance_rows(
    rows: list[Compliance], label: Callable[[Hashable], str]
) -> list[tuple[Cell, ...]]:
    return [
        (
            label(c.key),
            c.calls,
            c.assign_counted,
            c.assign_within,
            percent(c.assign_share),
            _round(c.assign_percentile(50)),
            _round(c.assign_percentile(90)),
            c.serve_counted,
            c.serve_within,
            percent(c.serve_share),
            _round(c.serve_percentile(50)),
            _round(c.serve_percentile(90)),
        )
        for c in rows
    ]


def _bucket_label(bucket: Bucket, unit: str) -> str:
    if bucket.low is None:
        return f"до {bucket.high:g} {unit}"
    if bucket.high is None:
        return f"более {bucket.low:g} {unit}"
    return f"{bucket.low:g}–{bucket.high:g} {unit}"


def bucket_labels(distribution: Distribution, unit: str) -> list[str]:
    return [_bucket_label(b, unit) for b in distribution.buckets]


def _named(names: dict[int, str], missing: str) -> Callable[[Hashable], str]:
    def label(key: Hashable) -> str:
        return missing if key is None else names.get(key, f"№ {key}")  # type: ignore[call-overload]

    return label


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00–{hour:02d}:59"


def _result_rows(
    rows: list[ResultCounts], label: Callable[[Hashable], tuple[Cell, ...]]
) -> list[tuple[Cell, ...]]:
    return [
        (
            *label(r.key),
            r.total,
            *(r.counts[result.value] for result in ServiceResult),
            percent(r.share(ServiceResult.HOSPITALISED)),
        )
        for r in rows
    ]


RESULT_COLUMNS = (
    "С результатом",
    *(result.label for result in ServiceResult),
    "Госпитализировано, %",
)
TRIP_COLUMNS = tuple(
    f"{title}: {what}, мин"
    for _, title in STAGES
    for what in ("вызовов", "медиана", "90-й перцентиль")
)


def _trip_rows(
    rows: list[TripTimes], label: Callable[[Hashable], tuple[Cell, ...]]
) -> list[tuple[Cell, ...]]:
    return [
        (
            *label(t.key),
            *(
                cell
                for stage, _ in STAGES
                for cell in (
                    len(t.minutes[stage]),
                    _round(t.percentile(stage, 50)),
                    _round(t.percentile(stage, 90)),
                )
            ),
        )
        for t in rows
    ]


def outcome_tables(report: Report) -> list[Table]:
    """Results, refusals, diagnoses and trip times as tables."""
    o, names = report.outcomes, report.names
    department = _named(names.departments, "Без отделения")
    doctor = _named(names.doctors, "Без врача")
    d = o.diagnoses

    def doctor_row(key: Hashable) -> tuple[Cell, ...]:
        letter = names.doctor_letters.get(key) if key is not None else None  # type: ignore[call-overload]
        return doctor(key), names.profile(letter)

    return [
        Table(
            "results_departments",
            "Результаты по отделениям",
            ("Отделение", *RESULT_COLUMNS),
            _result_rows(o.by_department, lambda k: (department(k),)),
        ),
        Table(
            "results_profiles",
            "Результаты по профилю врача",
            ("Профиль", *RESULT_COLUMNS),
            _result_rows(o.by_profile, lambda k: (names.profile(k),)),  # type: ignore[arg-type]
        ),
        Table(
            "results_doctors",
            "Результаты по врачам",
            ("Врач", "Профиль", *RESULT_COLUMNS),
            _result_rows(o.by_doctor, doctor_row),
        ),
        Table(
            "refusals",
            "Отказы от госпитализации: причины",
            ("Причина", "Вызовов", "Доля отказов, %"),
            [
                (reason, count, percent(count / o.refusals.total()))
                for reason, count in sorted(o.refusals.items(), key=lambda i: (-i[1], i[0]))
            ],
        ),
        Table(
            "diagnosis_chapters",
            "Диагнозы по классам МКБ-10",
            ("Класс", "Рубрики", "Название", "Вызовов", "Доля вызовов с диагнозом, %"),
            [
                (c.number, c.span, c.name, count, percent(count / d.calls_with_codes))
                for c, count in d.chapters
            ],
        ),
        Table(
            "diagnosis_top",
            "Частые диагнозы (рубрики МКБ-10)",
            ("Рубрика", "Класс", "Вызовов", "Доля вызовов с диагнозом, %"),
            [
                (code, c.number if c else "—", count, percent(count / d.calls_with_codes))
                for code, c, count in d.categories
            ],
        ),
        Table(
            "trip_departments",
            "Время выезда, пути и осмотра по отделениям",
            ("Отделение", *TRIP_COLUMNS),
            _trip_rows([o.trip_overall], lambda k: ("Все отделения",))
            + _trip_rows(o.trip_by_department, lambda k: (department(k),)),
        ),
        Table(
            "trip_doctors",
            "Время выезда, пути и осмотра по врачам",
            ("Врач", "Профиль", *TRIP_COLUMNS),
            _trip_rows(o.trip_by_doctor, doctor_row),
        ),
    ]


def tables(report: Report) -> list[Table]:
    """The report as tables, in the order the page shows them."""
    q, s, names = report.quality, report.sla, report.names
    assign, serve = _limits(report)
    sla_columns = (
        "Вызовов",
        "Назначение: учтено",
        f"назначено за {assign}",
        "доля, %",
        "медиана, мин",
        "90-й перцентиль, мин",
        "Обслуживание: учтено",
        f"обслужено за {serve}",
        "доля, %",
        "медиана, ч",
        "90-й перцентиль, ч",
    )
    mismatch_columns = ("Карт", "Расхождений", "Доля, %", "Вместо (буква: карт)")
    operator = _named(names.operators, NO_OPERATOR)
    return [
        Table("summary", "Сводка", ("Показатель", "Значение"), summary_rows(report)),
        Table(
            "operators",
            "Повод ≠ факт по операторам",
            ("Оператор", *mismatch_columns),
            _mismatch_rows(q.by_operator, lambda k: (operator(k),)),
        ),
        Table(
            "branches",
            "Повод ≠ факт по ветвям",
            ("Опросник", "Версия", "Ветвь", "Код повода", "Повод", *mismatch_columns),
            _mismatch_rows(q.by_branch, lambda k: (*k, q.branch_texts.get(k, ""))),  # type: ignore[misc]
        ),
        Table(
            "shortage",
            "Нехватка профиля",
            ("Требуемый профиль", "Направлений", "Не по профилю", "Доля, %", "Направлены"),
            _mismatch_rows(q.shortage, lambda k: (names.profile(k),)),  # type: ignore[arg-type]
        ),
        Table(
            "sent_needed",
            "Направлен ≠ факт",
            ("Направленный профиль", "Карт", "Требовался другой", "Доля, %", "Требовались"),
            _mismatch_rows(q.by_sent, lambda k: (names.profile(k),)),  # type: ignore[arg-type]
        ),
        Table(
            "percentiles",
            "Распределение времени",
            ("Показатель", "До назначения, мин", "До обслуживания, ч"),
            [
                ("Вызовов с отметкой", s.assign.count, s.serve.count),
                ("Среднее", _round(s.assign.mean), _round(s.serve.mean)),
                *[
                    (f"{q_}-й перцентиль", _round(s.assign.percentiles[q_]), _round(v))
                    for q_, v in s.serve.percentiles.items()
                ],
                ("Максимум", _round(s.assign.maximum), _round(s.serve.maximum)),
            ],
        ),
        Table(
            "assign_buckets",
            "Время до назначения",
            ("Интервал", "Вызовов", "Доля, %"),
            _bucket_rows(s.assign, "мин"),
        ),
        Table(
            "serve_buckets",
            "Время до обслуживания",
            ("Интервал", "Вызовов", "Доля, %"),
            _bucket_rows(s.serve, "ч"),
        ),
        Table(
            "sla_departments",
            "Сроки по отделениям",
            ("Отделение", *sla_columns),
            _compliance_rows(s.by_department, _named(names.departments, "Без отделения")),
        ),
        Table(
            "sla_districts",
            "Сроки по участкам",
            ("Участок", *sla_columns),
            _compliance_rows(s.by_district, _named(names.districts, "Без участка")),
        ),
        Table(
            "sla_days",
            "Сроки по дням",
            ("День", *sla_columns),
            _compliance_rows(s.by_day, lambda k: day_label(k)),  # type: ignore[arg-type]
        ),
        Table(
            "sla_channels",
            "Сроки по каналам",
            ("Канал", *sla_columns),
            _compliance_rows(s.by_channel, lambda k: channel_label(str(k))),
        ),
        Table(
            "sla_hours",
            "Вызовы и сроки по часам суток",
            ("Час создания", *sla_columns),
            _compliance_rows(s.by_hour, lambda k: hour_label(k)),  # type: ignore[arg-type]
        ),
        *outcome_tables(report),
        Table(
            "doctors",
            "Нагрузка на врачей",
            (
                "Врач",
                "Профиль",
                "Вызовов",
                "Обслужено",
                "Рабочих дней",
                "В среднем в день",
                "Максимум в день",
                "Направлен не по профилю",
                "Медиана обслуживания, ч",
            ),
            [
                (
                    names.doctors.get(d.doctor_id, f"№ {d.doctor_id}"),
                    names.profile(names.doctor_letters.get(d.doctor_id)),
                    d.calls,
                    d.served,
                    d.days,
                    _round(d.mean_per_day),
                    d.busiest,
                    d.substitute,
                    _round(d.median_serve_hours),
                )
                for d in report.load
            ],
        ),
    ]


def _bucket_rows(distribution: Distribution, unit: str) -> list[tuple[Cell, ...]]:
    total = distribution.count
    return [
        (_bucket_label(b, unit), b.count, percent(b.count / total if total else None))
        for b in distribution.buckets
    ]
