"""Emergencies as doctors write them: clinical words, lists without verbs, history and scope.

Each table is one kind of wording; the phrases are invented for these tests.
"""

from __future__ import annotations

import pytest
from natasha import MorphVocab

from nlp.complaints import ComplaintParser


@pytest.fixture(scope="module")
def parser() -> ComplaintParser:
    return ComplaintParser(MorphVocab())


# pressing, squeezing or burning pain in the chest, or pain that radiates to the arm or jaw
CHEST_PAIN = [
    "давящая боль в области сердца с утра",
    "сжимающие боли за грудиной в покое",
    "загрудинные боли жгучего характера около получаса",
    "чувство сдавления в груди",
    "ноет слева в грудной клетке, с иррадиацией в левую руку",
    "жжение в проекции грудины, отдаёт в нижнюю челюсть",
    "стенокардия покоя",
    "гипертонический криз, колющие боли в сердце",
]

# stroke signs: one-sided weakness or numbness, speech, face, double vision
STROKE = [
    "онемение и слабость в левых конечностях и лице",
    "слабость в правой руке и ноге",
    "снижение силы в левой кисти",
    "неловкость в руке справа, онемение правой половины лица",
    "смазанность речи с утра",
    "невнятная речь, трудно подобрать слова",
    "дизартрия",
    "асимметрия лица, опустился угол рта",
    "левосторонний гемипарез со вчерашнего вечера",
    "перестала понимать обращённую речь",
    "речь спутанная",
    "сглаженность левой носогубной складки",
]

# consciousness: lost, switched off, disturbed
CONSCIOUSNESS = [
    "отключение сознания на пару минут",
    "эпизоды отключения на работе",
    "расстройство сознания",
    "угнетение сознания, на вопросы отвечает с задержкой",
    "потеряла сознание, сейчас пришла в себя",
    "обморочные состояния повторяются",
    "синкопальное состояние при нагрузке",
    "обморок неделю назад, сопровождался сердцебиением",
    "дед упал и не приходит в сознание",
    "после приступа спутанность, не понимает где находится",
    "дезориентирована во времени и месте",
]

# seizures in clinical words
SEIZURES = [
    "генерализованные тонико-клонические приступы",
    "клонические судороги правой руки",
    "абсансы участились",
    "ночной приступ с прикусом языка",
    "серия приступов за сутки",
    "эпизоды замирания с потерей контакта",
    "судороги в руках и ногах, не отвечает",
    # «приступы» in a note about epilepsy or its drugs
    "учащение приступов на фоне приёма ПЭП",
    "на фоне вальпроатов приступы сохраняются",
]

# breathing: attacks of удушье, breathing hard at rest
BREATHING = [
    "приступы удушья по ночам",
    "эпизоды удушья практически ежедневно",
    "затруднение дыхания в покое",
    "одышка при ходьбе, в покое задыхается",
    "задыхается кашля нет",
]

# blood coughed or coming from the mouth
BLEEDING = [
    "у отца кровь из горла пошла",
    "кашляет кровью со вчерашнего вечера",
    "кровь изо рта после кашля",
]


@pytest.mark.parametrize(
    "text", CHEST_PAIN + STROKE + CONSCIOUSNESS + SEIZURES + BREATHING + BLEEDING
)
def test_clinical_wording_of_a_red_flag_is_an_emergency(parser: ComplaintParser, text: str) -> None:
    parsed = parser.parse(text)
    assert parsed.emergency, parsed.symptoms


# doubtful signs are flagged as possible emergencies, with a Russian reason asking to check
POSSIBLE = [
    ("двоение в глазах", "diplopia"),
    ("двоится в глазах при взгляде вправо", "diplopia"),
    ("боли в грудной клетке", "chest_pain_unqualified"),
    ("внезапная сильнейшая головная боль", "sudden_headache"),
    # a dated faint with nothing said about now
    ("вчера вечером потеряла сознание", "fainted_recent"),
    ("эпизод утраты сознания *ДАТА*", "fainted_recent"),
    # bleeding without a word on how heavy
    ("кровотечение из раны на предплечье", "bleeding_reported"),
]


@pytest.mark.parametrize(("text", "code"), POSSIBLE)
def test_a_doubtful_sign_is_a_possible_emergency_to_check(
    parser: ComplaintParser, text: str, code: str
) -> None:
    parsed = parser.parse(text)
    assert parsed.emergency
    (flag,) = [flag for flag in parsed.red_flags if flag.code == code]
    assert flag.possible
    assert flag.reason.startswith("Возможен экстренный случай: ")
    assert "уточните" in flag.reason


# history, past events and negation: not a current red flag
NOT_NOW = [
    # negated, also in a list and far from the word
    "удушья, кашля нет",
    "приступов удушья за последние полгода не было",
    "одышки, отёков не отмечает",
    "судорожных приступов нет на фоне лечения",
    "сознание не теряла, двоения нет",
    "нарушение ритма отрицает",
    # history and time scope
    "инсульт 7 лет назад",
    "ОНМК в анамнезе",
    "после инсульта слабость в левой руке сохраняется",
    "последствия ОНМК: нарушение речи, хромота",
    "двоение в глазах в течение 7 лет",
    "судорожные приступы были в детстве",
    "перенесённый инфаркт 3 года назад",
    # a past faint: dated, with a plain trigger, examined, or over
    "обморок при взятии крови из вены",
    "потеря сознания на фоне стресса в прошлом месяце",
    "терял сознание вчера, сейчас самочувствие удовлетворительное",
    "однократно потеря сознания, более не повторялось",
    "эпизод потери сознания *ДАТА*, вызывали скорую, ЭКГ без патологии",
    "эпилепсия, последний приступ 3 года назад",
    "эпилепсия, приступов нет на фоне терапии",
    "приём ПЭП, приступы головокружения по утрам",
    # limb numbness of the spine or a nerve, speech development
    "онемение левой руки по ночам",
    "боль в пояснице с иррадиацией в левую ногу, онемение голени",
    "задержка речевого развития",
    "обмороки в подростковом возрасте",
    # cramps, not seizures
    "судороги в икроножных мышцах по ночам",
    "сводит ноги судорогой после нагрузки",
    "судороги в пальцах рук при нагрузке",
    "эпилепсия, на фоне ПЭП приступы редкие",
    # not chest pain of the heart
    "заложенность за грудиной при кашле",
    "жжение за грудиной после еды, изжога",
    "колющие боли в левой половине грудной клетки при поворотах",
    # high pressure alone, exertional dyspnea, adult fever, general weakness
    "повышение АД до 190/110, головная боль",
    "гипертонический криз, тошнота",
    "одышка при подъёме на второй этаж",
    "температура 39,5, озноб, ломота",
    "общая слабость, быстрая утомляемость",
    "слабость в ногах при ходьбе",
    "онемение пальцев левой стопы",
    # bleeding that is not heavy
    "периодические носовые кровотечения",
    "кровотечение при дефекации",
    "компрессионный перелом позвонка, боли в спине",
]


@pytest.mark.parametrize("text", NOT_NOW)
def test_history_negation_and_plain_complaints_are_not_emergencies(
    parser: ComplaintParser, text: str
) -> None:
    parsed = parser.parse(text)
    found = [(flag.code, text[flag.start : flag.end]) for flag in parsed.red_flags]
    assert not parsed.emergency, found


# a faint with red features stays an emergency even when it is over (NICE CG109)
FAINT_WITH_RED_FEATURES = [
    "с *ДАТА* повторяются эпизоды потери сознания",
    "обморок вчера, перед этим сердцебиение",
    "потеря сознания *ДАТА* при физической нагрузке",
    "упала, ударилась головой, теряла сознание, сейчас нормально",
]


@pytest.mark.parametrize("text", FAINT_WITH_RED_FEATURES)
def test_a_past_faint_with_red_features_is_still_an_emergency(
    parser: ComplaintParser, text: str
) -> None:
    assert parser.parse(text).emergency


# infants: fever ≥ 38 under 3 months (NICE NG143 red group), any child ≥ 40 not lowering
INFANT_RULES = [
    ("температура 38.5", 0.2, True),
    ("температура 38.5", 2.0, False),
    ("температура 38", 0.1, True),
    ("температура 37,9", 0.1, False),
    ("температура 39,4", 0.3, False),
    ("температура 40,1", 5.0, True),
    ("температура 40,1, сбили до 38", 5.0, False),
    ("температура 40,1", 30.0, False),
    ("температура 38,6, сыпь не бледнеет при надавливании", 4.0, True),
]


@pytest.mark.parametrize(("text", "age", "emergency"), INFANT_RULES)
def test_age_rules_for_fever(
    parser: ComplaintParser, text: str, age: float, emergency: bool
) -> None:
    assert parser.parse(text, age_years=age).emergency is emergency


def test_infant_fever_names_its_reason(parser: ComplaintParser) -> None:
    (flag,) = parser.parse("температура 38.5", age_years=0.2).red_flags
    assert flag.code == "infant_fever"
    assert flag.reason == "Температура у младенца до 3 месяцев"
    assert not flag.possible


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("давящая боль за грудиной", "chest_pain"),
        ("обильное кровотечение из раны", "bleeding"),
        ("кровотечение из носа, не останавливается", "bleeding_not_stopping"),
    ],
)
def test_a_certain_sign_replaces_the_possible_one_of_its_kind(
    parser: ComplaintParser, text: str, code: str
) -> None:
    flags = parser.parse(text).red_flags
    assert code in {flag.code for flag in flags}
    assert not any(flag.possible for flag in flags)
