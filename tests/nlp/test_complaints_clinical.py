"""Symptom codes from doctors' notes: clinical words, abbreviations, lists without verbs.

The phrases are invented for these tests, one table per kind of wording.
"""

from __future__ import annotations

import pytest
from natasha import MorphVocab

from nlp.complaints import ComplaintParser


@pytest.fixture(scope="module")
def parser() -> ComplaintParser:
    return ComplaintParser(MorphVocab())


# the pain word and its site a few words apart («боли ... в области ...»)
PAIN_SITES = [
    ("боли ноющего характера в левой половине живота", {"abdominal_pain"}),
    ("тяжесть в правом подреберье после жирной еды", {"abdominal_pain"}),
    ("боли умеренные, приступообразные, в области сердца", {"chest_pain"}),
    ("дискомфорт в области сердца при волнении", {"chest_pain"}),
    ("боль тянущего характера в поясничной области", {"back_pain"}),
    ("болевой синдром в межлопаточной области", {"back_pain"}),
    ("боль в области паха слева", {"mild_pain"}),
    ("боли в пальцах правой стопы", {"mild_pain"}),
    ("головная боль давящего характера в висках", {"headache"}),
]

# shorthand closed by a dot stays inside its phrase
ABBREVIATIONS = [
    ("боли в обл. поясницы", {"back_pain"}),
    ("боли в поясн. отд. позвоночника", {"back_pain"}),
    ("боли в ПОП и ШОП", {"back_pain"}),
    ("боль в п.о.п. с иррадиацией в бедро", {"back_pain"}),
    ("повышение Т до 38, кашель", {"fever", "cough"}),
]

# clinicians' vocabulary and synonyms
CLINICAL_WORDS = [
    ("дискомфорт при глотании", {"sore_throat"}),
    ("воспаление в горле", {"sore_throat"}),
    ("саднение в гортани", {"sore_throat"}),
    ("стекание слизи по задней стенке из носоглотки", {"runny_nose"}),
    ("затруднённое носовое дыхание", {"runny_nose"}),
    ("нарушение ритма сердца", {"arrhythmia"}),
    ("лёгкое покашливание по утрам", {"cough"}),
    ("неустойчивость при ходьбе", {"unsteady_gait"}),
    ("дискомфорт в уретре при мочеиспускании", {"urinary_problem"}),
    ("шелушение кожи на щеках", {"rash"}),
    ("покраснение кожи на руках", {"rash"}),
    ("высыпания зудящиеся", {"rash", "itch"}),
    ("пастозность голеней к вечеру", {"edema"}),
    ("парестезии в кистях", {"limb_numbness"}),
    ("чувство нехватки воздуха", {"dyspnea"}),
    ("голодные боли", {"abdominal_pain"}),
    ("гнойное отделяемое из глаз по утрам", {"eye_problem"}),
    ("кашицеобразный стул", {"diarrhea"}),
    ("болезненность при мочеиспускании", {"urinary_problem"}),
    ("трудности с засыпанием", {"sleep_problems"}),
    ("покалывание в области сердца", {"chest_pain"}),
]

# not a symptom code
NOT_CODED: list[tuple[str, set[str]]] = [
    ("звон в ушах", set()),
    ("шум в ушах и голове", set()),
    ("слабый эффект от ингалятора", set()),
    ("предобморочное состояние", set()),
    ("повышенная утомляемость к вечеру", set()),
    ("АД 125/80", set()),
    ("чувство заложенности за грудиной", set()),
]

# a genitive list closed by a negation is negated item by item
NEGATED_LISTS = [
    ("кашля, насморка нет", set()),
    ("одышки, отёков, болей в груди не отмечает", set()),
    ("Жалоб активно нет: головокружения, тошноты нет", set()),
    ("кашель, сопли, температуры нет", {"cough", "runny_nose"}),
    ("слабость, температуры нет", {"weakness"}),
    ("приступов удушья за последние месяцы не было, насморк", {"runny_nose"}),
    ("кашля и насморка нет", set()),
    # the negation belongs to the nearer symptom, not to one written before it
    ("кашель и температуры нет", {"cough"}),
    ("давит в груди температуры нет", {"chest_pain"}),
]


@pytest.mark.parametrize(
    ("text", "codes"), PAIN_SITES + ABBREVIATIONS + CLINICAL_WORDS + NOT_CODED + NEGATED_LISTS
)
def test_parse_codes_doctors_notes(parser: ComplaintParser, text: str, codes: set[str]) -> None:
    assert set(parser.parse(text).symptoms) == codes
