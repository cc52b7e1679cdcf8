"""Emergency first: every red-flag class, mild phrasings, negations, «not by itself» rules."""

from __future__ import annotations

import pytest
from natasha import MorphVocab

from nlp.complaints import ComplaintParser
from nlp.triage import stated_age


@pytest.fixture(scope="module")
def parser() -> ComplaintParser:
    return ComplaintParser(MorphVocab())


# (text, a red-flag code that must be raised)
EMERGENCIES = [
    # loss of consciousness, unresponsive
    ("без сознания", "unresponsive"),
    ("не можем разбудить", "unresponsive"),
    ("человек лежит, не реагирует", "unresponsive"),
    ("не приходит в себя", "unresponsive"),
    ("спутанность сознания", "unresponsive"),
    ("потерял сознание на улице", "fainted"),
    ("упала в обморок 10 минут назад", "fainted"),
    ("отключился прямо за столом", "fainted"),
    # breathing
    ("задыхаюсь", "breathing"),
    ("не хватает воздуха", "breathing"),
    ("ночью задыхается", "breathing"),
    ("тяжело дышать в покое", "breathing"),
    ("задыхается, губы синеют", "breathing"),
    ("посинел", "breathing"),
    ("приступ астмы, ингалятор не помогает", "breathing"),
    ("сильная одышка", "breathing"),
    ("удушье", "breathing"),
    ("ребенок подавился, кашляет", "choking"),
    ("проглотил батарейку", "choking"),
    # chest pain
    ("давит за грудиной, отдает в челюсть", "chest_pain"),
    ("жжение в груди", "chest_pain"),
    ("сильная боль в груди", "chest_pain"),
    ("болит сердце, холодный пот", "chest_pain_radiating"),
    ("боль в груди, отдает в левую руку", "chest_pain_radiating"),
    ("мужчина 45 лет боль в груди", "chest_pain_unqualified"),
    ("нитроглицерин не помогает", "chest_pain"),
    # stroke, mild phrasings included
    ("папа плохо говорит и рука не слушается", "stroke"),
    ("у мамы уголок рта опустился", "stroke"),
    ("речь нарушена, лицо перекошено", "stroke"),
    ("язык заплетается", "stroke"),
    ("онемела правая рука и нога", "stroke"),
    ("онемела левая половина тела", "stroke"),
    ("слабость в левой руке", "stroke"),
    ("подозрение на инсульт", "stroke_named"),
    ("странно разговаривает, путает слова", "stroke"),
    # seizures
    ("ребенок дергался, закатил глаза, сейчас спит", "seizure"),
    ("у ребенка судороги", "seizure"),
    ("припадок", "seizure"),
    ("судороги на фоне температуры 39", "seizure"),
    # bleeding
    ("сильное кровотечение из носа", "bleeding"),
    ("кровь из носа, не останавливается", "bleeding_not_stopping"),
    ("рвота кровью", "bleeding"),
    ("глубокий порез, кровь не останавливается", "bleeding"),
    # anaphylaxis
    ("отек Квинке", "anaphylaxis"),
    ("отёк горла", "anaphylaxis"),
    ("опух язык", "anaphylaxis"),
    ("аллергия, крапивница, отек губ", "anaphylaxis"),
    ("ужалила оса, отек лица, аллергик", "anaphylaxis_face"),
    ("анафилактический шок", "anaphylaxis"),
    # poisoning
    ("пищевое отравление, рвота", "poisoning"),
    ("наглотался таблеток", "poisoning"),
    ("выпила 20 таблеток", "poisoning"),
    ("отравление угарным газом", "poisoning"),
    ("выпил уксус", "poisoning"),
    # serious trauma
    ("ДТП", "trauma"),
    ("сбила машина", "trauma"),
    ("перелом руки", "trauma"),
    ("упал с балкона 3 этажа", "trauma"),
    ("упала и не может встать", "trauma"),
    ("упала дома, не может встать", "fall_cannot_stand"),
    ("ножевое ранение", "trauma"),
    ("нога вывернута", "trauma"),
    # burns
    ("ошпарился кипятком, большая площадь", "burn"),
    ("ожог лица", "burn"),
    # labour, pregnancy
    ("схватки каждые 5 минут", "labour"),
    ("отошли воды", "labour"),
    ("беременная, кровянистые выделения", "pregnancy_bleeding"),
    ("беременность 12 недель, кровотечение", "pregnancy_bleeding"),
    # suicide
    ("хочет покончить с собой", "suicide"),
    ("вскрыл вены", "suicide"),
    ("хочет умереть", "suicide"),
    ("суицидальные мысли", "suicide"),
    # age rules
    ("грудничок 3 недели, температура 38,2", "infant_fever"),
    ("ребенку 1 месяц, температура 38", "infant_fever"),
    ("малышу 2 недели, температура 38", "infant_fever"),
    ("новорожденный, жар", "infant_fever"),
    ("ребенок 6 лет, температура 40,1, жаропонижающие не помогают", "child_high_fever"),
    ("ребенок 10 лет, температура 40 второй день", "child_high_fever"),
    ("у ребенка температура 40,5 плохо сбивается", "child_high_fever"),
    ("сыпь в виде синяков, не исчезает при надавливании, температура 39", "nonblanching_rash"),
    ("ребенок, сыпь не бледнеет, температура", "nonblanching_rash"),
    ("73Е ТЕМПЕРАТУРА 39,5 У РЕБЕНКА ДО 3 МЕСЯЦЕВ", "infant_fever"),
    ("пьяный, упал, лежит, не отвечает", "unresponsive"),
    ("потеря речи", "stroke"),
    ("потерял соснание", "fainted"),
    # a faint that has just happened, the patient has only come round
    ("обморок в ванной, сейчас в сознании, слабость", "fainted"),
    ("кратковременная потеря сознания, сейчас пришел в себя", "fainted"),
]

NOT_EMERGENCIES = [
    "Температура 38,5, предложена 112",
    "кашель, от 112 отказались",
    "давление 200/120, голова болит",
    "гипертонический криз, давление 190/110",
    "одышка при ходьбе давно",
    "одышка при подъеме по лестнице",
    "упал в обморок вчера, сейчас чувствует себя хорошо",
    "был обморок, пришел в себя, сейчас нормально",
    "температура 40,2 у взрослого, не сбивается",
    "ребенок 6 лет, температура 40, сбили до 38,5",
    "ребенку 2 мес, температура 37,8",
    "ребенок 3 года, температура 39",
    "сознание не терял, голова кружится",
    "удушья нет, сыпь",
    "не задыхается, кашель",
    "боли в груди нет",
    "колет в сердце при вдохе",
    "колет в груди при кашле",
    "судорог не было, температура 38",
    "судороги в икрах по ночам",
    "фебрильные судороги в анамнезе, сейчас температура 38",
    "эпилептик, приступ как обычно короткий, уже прошел",
    "после инсульта, лежачий, пролежни",
    "перенесла инфаркт, давление",
    "онемение пальцев ног, давно",
    "небольшой ожог пальца",
    "порезал палец",
    "ушиб руки, упала дома, рука двигается",
    "подвернула ногу",
    "укусила собака, небольшая ранка",
    "ужалила пчела, опухла рука",
    "нос не дышит",
    "кровотечение из десны небольшое",
    "беременная, температура 37,5",
    "после родов, температура 38",
    "констатация смерти, умер ночью",
    "плохо спит, плохо ест",
    "мама не встает, слабость",
    "Горлова Анна Ивановна, горло болит",
    "78Е БОЛЬ В ГРУДИ, НЕ ОСТРАЯ, ХРОНИЧЕСКАЯ",
    "перелом шейки бедра в анамнезе, лежачая",
    "небольшое кровотечение из носа, остановилось",
    "72Е ГОЛОВНАЯ БОЛЬ, ДАВЛЕНИЕ ПОВЫШЕНО, БЕЗ ОНМК",
    "71Е ДАВЛЕНИЕ ПОВЫШЕНО, НЕТ ПРИЗНАКОВ ИНСУЛЬТА",
    "ребенок 9 мес, температура 38,5, судорог не было",
    "температура 39,8 у ребенка 1 год, сбивается плохо",
]

# age from the birth date (the intake) overrides what the text says
BY_AGE = [
    ("температура 38,2", 0.1, True),
    ("температура 38,2", 0.5, False),
    ("температура 40,3, не сбивается", 7.0, True),
    ("температура 40,3, не сбивается", 35.0, False),
    ("температура 40,3", 12.0, True),
    ("температура 40,3, сбивается хорошо", 12.0, False),
    ("температура 37,9", 0.05, False),
]

AGES = [
    ("Ребенку 1 месяц, температура 38,1", 1 / 12),
    ("ребенок 2 мес", 2 / 12),
    ("Патронаж, ребенку 10 дней", 10 / 365),
    ("ребенок (3 нед)", 3 / 52),
    ("2 мес ребенок", 2 / 12),
    ("у ребенка 5 лет", 5.0),
    ("ребенок 4 года температура 40,3", 4.0),
    ("пожилая 85 лет", 85.0),
    ("новорожденный", 0.02),
    ("у ребенка 3 дня температура 38", None),
    ("РЕБЕНОК >1 ГОДА", None),
    ("кашель 2 недели", None),
    ("Беременная 36 недель", None),
]


@pytest.mark.parametrize(("text", "code"), EMERGENCIES)
def test_parse_raises_the_red_flag(parser: ComplaintParser, text: str, code: str) -> None:
    parsed = parser.parse(text)
    assert parsed.emergency
    assert code in {flag.code for flag in parsed.red_flags}


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_parse_is_not_an_emergency(parser: ComplaintParser, text: str) -> None:
    parsed = parser.parse(text)
    assert not parsed.emergency, parsed.red_flags


@pytest.mark.parametrize(("text", "age", "emergency"), BY_AGE)
def test_parse_applies_age_rules_from_the_birth_date(
    parser: ComplaintParser, text: str, age: float, emergency: bool
) -> None:
    assert parser.parse(text, age_years=age).emergency is emergency


@pytest.mark.parametrize(("text", "years"), AGES)
def test_stated_age_reads_ages_not_durations(text: str, years: float | None) -> None:
    age = stated_age(text)
    if years is None:
        assert age is None
    else:
        assert age == pytest.approx(years)


def test_red_flags_carry_a_russian_reason_and_their_span(parser: ComplaintParser) -> None:
    text = "кашель, потом задыхается"
    (flag,) = parser.parse(text).red_flags
    assert flag.reason == "Тяжёлое нарушение дыхания"
    assert text[flag.start : flag.end] == "задыхается"


def test_refusing_112_does_not_cancel_a_real_emergency(parser: ComplaintParser) -> None:
    assert parser.parse("задыхается, предложена 112, отказ").emergency


def test_symptoms_are_coded_in_emergencies_too(parser: ComplaintParser) -> None:
    parsed = parser.parse("Давящая боль в груди, отдает в левую руку")
    assert parsed.symptoms == ("chest_pain",)
    assert parsed.emergency
