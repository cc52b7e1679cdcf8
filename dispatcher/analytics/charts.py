"""The report's charts as PNG images, drawn on the server with matplotlib's Agg canvas.

Figures are built with the object API (no pyplot and no global state), so requests in
several threads never share a figure.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dispatcher.analytics.outcomes import STAGES
from dispatcher.analytics.quality import Mismatch
from dispatcher.analytics.report import (
    NO_OPERATOR,
    Report,
    bucket_labels,
    channel_label,
)
from dispatcher.analytics.sla import Compliance
from intake_core.call import ServiceResult

WIDTH, HEIGHT, DPI = 8.0, 4.0, 100
BLUE, RED, GREEN, GREY = "#2b6cb0", "#c53030", "#2f855a", "#a0aec0"
LETTER_COLORS = {"Т": BLUE, "П": GREEN, "В": "#d69e2e", "Ф": "#805ad5", "У": RED}
NO_DATA = "Нет данных за период"
RESULT_COLORS = {
    ServiceResult.LEFT_AT_HOME: GREEN,
    ServiceResult.HOSPITALISED: BLUE,
    ServiceResult.HANDED_OVER: "#d69e2e",
    ServiceResult.REFUSED_HOSPITALISATION: "#805ad5",
    ServiceResult.NOBODY_HOME: GREY,
    ServiceResult.DEATH: "#1a202c",
}


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of the analytics page: its file name, Russian title and how it is drawn."""

    name: str
    title: str
    draw: Callable[[Report, Axes], bool]  # False: nothing to draw


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def chart_png(chart: Chart, report: Report) -> bytes:
    """The chart as PNG bytes; an empty period gives a picture that says so."""
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(chart.title, fontsize=11, loc="left")
    if not chart.draw(report, axes):
        axes.cla()
        axes.set_axis_off()
        axes.set_title(chart.title, fontsize=11, loc="left")
        axes.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=12, color=GREY)
    return _png(figure)


def _decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rates(axes: Axes, rows: list[Mismatch], labels: list[str], limit: int = 12) -> bool:
    rows, labels = rows[:limit], labels[:limit]
    if not rows:
        return False
    rates = [100 * (m.rate or 0.0) for m in rows][::-1]
    positions = range(len(rows))
    axes.barh(positions, rates, color=[RED if r >= 20 else BLUE for r in rates])
    axes.set_yticks(list(positions), labels[::-1], fontsize=8)
    axes.set_xlabel("Доля расхождений, %")
    for y, (rate, m) in enumerate(zip(rates, rows[::-1], strict=True)):
        axes.text(rate, y, f" {_decimal(rate)}% из {m.total}", va="center", fontsize=7)
    axes.set_xlim(0, max(rates) * 1.3 + 1)
    return True


def _operators(report: Report, axes: Axes) -> bool:
    names = report.names.operators
    rows = report.quality.by_operator
    labels = [NO_OPERATOR if m.key is None else names.get(m.key, str(m.key)) for m in rows]  # type: ignore[call-overload]
    return _rates(axes, rows, labels)


def _branches(report: Report, axes: Axes) -> bool:
    rows = report.quality.by_branch
    labels = [
        _short(f"{m.key[3]} {report.quality.branch_texts.get(m.key) or m.key[2]}")  # type: ignore[index]
        for m in rows
    ]
    return _rates(axes, rows, labels)


def _shortage(report: Report, axes: Axes) -> bool:
    rows = [m for m in report.quality.shortage if m.total]
    if not rows:
        return False
    letters = [str(m.key) for m in rows]
    left = [0.0] * len(rows)
    sent_letters = sorted({k for m in rows for k in m.instead} | set(letters))
    for sent in sent_letters:
        counts = [
            float(m.total - m.mismatched if sent == m.key else m.instead.get(sent, 0)) for m in rows
        ]
        axes.barh(
            letters,
            counts,
            left=left,
            color=LETTER_COLORS.get(sent, GREY),
            label=f"направлен {report.names.profile(sent)}",
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.set_yticks(range(len(rows)), [report.names.profile(k) for k in letters], fontsize=8)
    axes.set_xlabel("Направлений по требуемому профилю")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return True


def _histogram(report: Report, axes: Axes, serve: bool) -> bool:
    distribution = report.sla.serve if serve else report.sla.assign
    if not distribution.count:
        return False
    labels = bucket_labels(distribution, "ч" if serve else "мин")
    limit = report.sla.deadlines.serve if serve else report.sla.deadlines.assign
    limit_value = limit.total_seconds() / (3600 if serve else 60)
    colors = [
        GREEN if (b.high is not None and b.high <= limit_value) else RED
        for b in distribution.buckets
    ]
    counts = [b.count for b in distribution.buckets]
    axes.bar(labels, counts, color=colors)
    axes.set_ylabel("Вызовов")
    axes.tick_params(axis="x", labelsize=8)
    median = distribution.percentiles[50]
    axes.text(
        0.99,
        0.95,
        f"медиана {_decimal(median)} {'ч' if serve else 'мин'}; в срок — зелёным",
        transform=axes.transAxes,
        ha="right",
        va="top",
        fontsize=8,
    )
    return True


def _in_time_shares(axes: Axes, labels: list[str], rows: list[Compliance]) -> None:
    """Over the bars of calls: the shares assigned and served in time, on a second axis."""
    share = axes.twinx()
    assigned = [100 * (c.assign_share or 0) for c in rows]
    served = [100 * (c.serve_share or 0) for c in rows]
    share.plot(labels, assigned, color=BLUE, marker=".", label="назначено в срок, %")
    share.plot(labels, served, color=GREEN, marker=".", label="обслужено в срок, %")
    share.set_ylim(0, 105)
    share.set_ylabel("В срок, %")
    share.legend(fontsize=7, loc="lower left")


def _days(report: Report, axes: Axes) -> bool:
    rows = report.sla.by_day
    if not rows:
        return False
    labels = [f"{c.key:%d.%m}" for c in rows]
    axes.bar(labels, [c.calls for c in rows], color=GREY, label="вызовов")
    axes.set_ylabel("Вызовов в день")
    axes.tick_params(axis="x", labelsize=7, rotation=90)
    _in_time_shares(axes, labels, rows)
    return True


def _channels(report: Report, axes: Axes) -> bool:
    rows = report.sla.by_channel
    if not rows:
        return False
    labels = [channel_label(str(c.key)) for c in rows]
    x = range(len(rows))
    axes.bar(
        [i - 0.2 for i in x],
        [100 * (c.assign_share or 0) for c in rows],
        0.4,
        color=BLUE,
        label="назначено в срок",
    )
    axes.bar(
        [i + 0.2 for i in x],
        [100 * (c.serve_share or 0) for c in rows],
        0.4,
        color=GREEN,
        label="обслужено в срок",
    )
    axes.set_xticks(list(x), labels, fontsize=8)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.legend(fontsize=7, loc="lower right")
    return True


def _doctors(report: Report, axes: Axes) -> bool:
    rows = report.load[:15]
    if not rows:
        return False
    names = report.names
    labels = [
        f"{names.doctors.get(d.doctor_id, d.doctor_id)} "
        f"({names.doctor_letters.get(d.doctor_id) or '—'})"
        for d in rows
    ][::-1]
    axes.barh(labels, [d.served for d in rows][::-1], color=BLUE, label="обслужено")
    axes.barh(
        labels,
        [d.calls - d.served for d in rows][::-1],
        left=[d.served for d in rows][::-1],
        color=GREY,
        label="прочие",
    )
    axes.tick_params(axis="y", labelsize=8)
    axes.set_xlabel("Вызовов за период")
    axes.legend(fontsize=7, loc="lower right")
    return True


def _results(report: Report, axes: Axes) -> bool:
    """Shares of each result per doctor's profile and per department, stacked to 100 %."""
    names = report.names
    rows = [
        (names.departments.get(r.key, "Без отделения"), r)  # type: ignore[call-overload]
        for r in report.outcomes.by_department
    ] + [(names.profile(r.key), r) for r in report.outcomes.by_profile]  # type: ignore[arg-type]
    rows = [(label, r) for label, r in rows if r.total][:12]
    if not rows:
        return False
    labels = [_short(label, 30) for label, _ in rows][::-1]
    left = [0.0] * len(rows)
    for result in ServiceResult:
        shares = [100 * (r.share(result) or 0.0) for _, r in rows][::-1]
        axes.barh(labels, shares, left=left, color=RESULT_COLORS[result], label=result.label)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 100)
    axes.set_xlabel("Доля вызовов с результатом, %")
    axes.tick_params(axis="y", labelsize=8)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return True


def _diagnoses(report: Report, axes: Axes) -> bool:
    d = report.outcomes.diagnoses
    rows = d.chapters[:10]
    if not rows:
        return False
    labels = [_short(f"{c.number} {c.span} {c.name}", 44) for c, _ in rows][::-1]
    counts = [count for _, count in rows][::-1]
    axes.barh(labels, counts, color=BLUE)
    for y, count in enumerate(counts):
        share = 100 * count / d.calls_with_codes
        axes.text(count, y, f" {count} ({_decimal(share)}%)", va="center", fontsize=7)
    axes.set_xlim(0, max(counts) * 1.25)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_xlabel("Вызовов с диагнозом этого класса")
    return True


def _trip(report: Report, axes: Axes) -> bool:
    """Median minutes of each stage per department (and all), the 90th percentile as a tick."""
    o = report.outcomes
    groups = [("Все", o.trip_overall)] + [
        (report.names.departments.get(t.key, "Без отделения"), t)  # type: ignore[call-overload]
        for t in o.trip_by_department
    ]
    groups = [(label, t) for label, t in groups if t.calls][:6]
    if not groups:
        return False
    width = 0.8 / len(STAGES)
    colors = (GREY, BLUE, GREEN)
    for i, ((stage, title), color) in enumerate(zip(STAGES, colors, strict=True)):
        x = [n + (i - 1) * width for n in range(len(groups))]
        # a stage nobody recorded (or a zero, which a log axis cannot show) stays empty
        medians = [t.percentile(stage, 50) or math.nan for _, t in groups]
        high = [t.percentile(stage, 90) or math.nan for _, t in groups]
        axes.bar(x, medians, width, color=color, label=f"{title}: медиана")
        axes.scatter(x, high, marker="_", s=200, color=RED, zorder=3)
        for xi, value in zip(x, medians, strict=True):
            if not math.isnan(value):
                axes.text(xi, value, f"{value:.0f}", ha="center", va="bottom", fontsize=7)
    axes.scatter([], [], marker="_", s=200, color=RED, label="90-й перцентиль")
    axes.set_xticks(range(len(groups)), [_short(label, 20) for label, _ in groups], fontsize=8)
    axes.set_yscale("log")  # waiting for the round takes hours, the road minutes
    axes.set_ylabel("Минут (логарифмическая шкала)")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return True


def _hours(report: Report, axes: Axes) -> bool:
    rows = report.sla.by_hour
    if not rows:
        return False
    labels = [f"{c.key:02d}" for c in rows]
    axes.bar(labels, [c.calls for c in rows], color=GREY, label="вызовов")
    axes.set_xlabel("Час создания вызова (местное время)")
    axes.set_ylabel("Вызовов")
    _in_time_shares(axes, labels, rows)
    return True


CHARTS = {
    chart.name: chart
    for chart in (
        Chart("operators", "Повод ≠ факт по операторам", _operators),
        Chart("branches", "Повод ≠ факт по ветвям опросника", _branches),
        Chart("shortage", "Кого направляли по требуемому профилю", _shortage),
        Chart("assign", "Время от создания до назначения", lambda r, a: _histogram(r, a, False)),
        Chart("serve", "Время от назначения до обслуживания", lambda r, a: _histogram(r, a, True)),
        Chart("days", "Вызовы и сроки по дням", _days),
        Chart("channels", "Сроки по каналам", _channels),
        Chart("doctors", "Нагрузка на врачей", _doctors),
        Chart("hours", "Вызовы и сроки по часам суток", _hours),
        Chart("results", "Результаты вызовов по отделениям и профилям", _results),
        Chart("diagnoses", "Диагнозы по классам МКБ-10", _diagnoses),
        Chart("trip", "Выезд, путь и осмотр: минуты", _trip),
    )
}
