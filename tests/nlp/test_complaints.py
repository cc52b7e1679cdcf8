"""Complaint normalizer: catalog codes from lemmas, stems and misspellings; negation; noise."""

from __future__ import annotations

import time

import pytest
from natasha import MorphVocab

from nlp.complaints import ComplaintParser


@pytest.fixture(scope="module")
def parser() -> ComplaintParser:
    return ComplaintParser(MorphVocab())


SYMPTOMS = [
    ("КАШЕЛЬ, НАСМОРК, ТЕМПЕРАТУРА 37.8", {"cough", "runny_nose", "fever"}),
    ("кашляет уже неделю, мокрота", {"cough"}),
    ("покашливает по утрам", {"cough"}),
    ("Ребенок 5 лет. Темп. 38,7. Кашель. Насморк.", {"cough", "fever", "runny_nose"}),
    ("t=39,1 озноб ломота", {"fever", "body_discomfort"}),
    ("Темпиратура 39 ломит тело", {"fever", "body_discomfort"}),
    ("знобит, всего ломает", {"fever", "body_discomfort"}),
    ("жар у ребенка", {"fever"}),
    ("т 37,2 сопли", {"fever", "runny_nose"}),
    ("тридцать восемь и две, кашель", {"fever", "cough"}),
    ("горло", {"sore_throat"}),
    ("Кашель, горло, насморк", {"cough", "sore_throat", "runny_nose"}),
    ("першит в горле", {"sore_throat"}),
    ("боль в горле при глотании", {"sore_throat"}),
    ("больно глотать", {"sore_throat"}),
    ("болит голова и горло", {"headache", "sore_throat"}),
    ("головные боли, мигрень", {"headache"}),
    ("голова раскалывается", {"headache"}),
    ("кружится голова", {"dizziness"}),
    ("головокружение, шатает при ходьбе", {"dizziness", "unsteady_gait"}),
    ("живот крутит, жидкий стул", {"abdominal_pain", "diarrhea"}),
    ("боль внизу живота", {"abdominal_pain"}),
    ("болит желудок", {"abdominal_pain"}),
    ("у малыша колики", {"abdominal_pain"}),
    ("понос 5 раз", {"diarrhea"}),
    ("диарея второй день", {"diarrhea"}),
    ("тошнит, вырвало два раза", {"nausea_vomiting"}),
    ("рвота фонтаном", {"nausea_vomiting"}),
    ("расстройство желудка", {"stomach_upset"}),
    ("расстройство ЖКТ, слабость", {"stomach_upset", "weakness"}),
    ("колет в сердце при вдохе", {"chest_pain"}),
    ("боль в грудной клетке при кашле", {"chest_pain", "cough"}),
    ("сердцебиение, перебои", {"arrhythmia"}),
    ("пульс неровный", {"arrhythmia"}),
    ("давление 200/120, голова болит", {"blood_pressure", "headache"}),
    ("гипертоник, давление скачет", {"blood_pressure"}),
    ("АД 90/60, слабость", {"blood_pressure", "weakness"}),
    ("вялый, сонливый, температура 38", {"weakness", "fever"}),
    ("плохо себя чувствует", {"weakness"}),
    ("недомогание, нет сил", {"weakness"}),
    ("заложен нос, чихает", {"runny_nose"}),
    ("нос не дышит", {"runny_nose"}),
    ("увеличены шейные лимфоузлы", {"lymph_nodes"}),
    ("одышка", {"dyspnea"}),
    ("отеки на ногах", {"edema"}),
    ("опухли ноги", {"edema"}),
    ("онемение в пальцах рук", {"limb_numbness"}),
    ("шаткая походка", {"unsteady_gait"}),
    ("болит нога", {"mild_pain"}),
    ("болит плечо, не может поднять", {"mild_pain"}),
    ("боль в спине отдает в ногу", {"back_pain"}),
    ("мышцы болят", {"body_discomfort"}),
    ("ушиб колена", {"minor_injury"}),
    ("порезал палец", {"minor_injury"}),
    ("подвернула ногу", {"minor_injury"}),
    ("укусила собака, небольшая ранка", {"minor_injury"}),
    ("икает весь день", {"hiccups"}),
    ("бессонница, тревога", {"sleep_problems", "anxiety"}),
    ("ребенок беспокойный, плохо спит", {"anxiety", "sleep_problems"}),
    ("десна воспалилась", {"gum_swelling"}),
    ("слюни текут", {"salivation"}),
    ("ребенок плохо берет грудь, срыгивает", {"feeding_problems"}),
    ("нет аппетита", {"feeding_problems"}),
    ("реакция на прививку", {"post_vaccination"}),
    ("диатез на щеках", {"diathesis"}),
    ("высыпания на руках, чешется", {"rash", "itch"}),
    ("крапивница", {"rash"}),
    ("красные пятна по телу", {"rash"}),
    ("алергия на кошку", {"allergy"}),
    ("клещ присосался", {"insect_bite"}),
    ("укусил комар, распухло", {"insect_bite", "edema"}),
    ("прострел в пояснице", {"back_pain"}),
    ("радикулит", {"back_pain"}),
    ("болят суставы", {"joint_pain"}),
    ("колено опухло", {"joint_pain", "edema"}),
    ("уши болят, течет из уха", {"ear_pain"}),
    ("глаза гноятся", {"eye_problem"}),
    ("слезится глаз", {"eye_problem"}),
    ("частое мочеиспускание, рези", {"urinary_problem"}),
    ("не может помочиться", {"urinary_problem"}),
    ("патронаж новорожденного", {"patronage"}),
    ("констатация смерти", {"death_confirmation"}),
    ("Продлить б/л", {"sick_leave"}),
    ("закрыть больничный лист", {"sick_leave"}),
    ("нужна справка в садик", {"sick_leave"}),
    ("выписать льготные лекарства", {"prescription"}),
    ("рецепт на инсулин", {"prescription"}),
    ("балит горло и галава", {"sore_throat", "headache"}),
    ("кашиль, насмарк", {"cough", "runny_nose"}),
    ("тимпература 37,9, слабасть", {"fever", "weakness"}),
    ("головакружение", {"dizziness"}),
    ("потерял соснание", {"fainting"}),
]

NEGATED = [
    ("удушья нет, сыпь", {"rash"}),
    ("не задыхается, кашель сухой", {"cough"}),
    ("сознание не терял, голова кружится", {"dizziness"}),
    ("без температуры, сопли", {"runny_nose"}),
    ("температуры нет, болит ухо", {"ear_pain"}),
    ("боли в груди нет, кашель", {"cough"}),
    ("отеков нет, давление 150/90", {"blood_pressure"}),
    ("температура не поднималась, кашель", {"cough"}),
    ("не было рвоты, болит живот", {"abdominal_pain"}),
    ("рвоты и поноса нет, живот болит", {"abdominal_pain"}),
    ("нет кашля и насморка, болит горло", {"sore_throat"}),
    ("без повышения температуры, насморк", {"runny_nose"}),
    ("не кашляет, но сопли", {"runny_nose"}),
    ("одышки нет, но кашель", {"cough"}),
    ("температура нормальная, кашель", {"cough"}),
    ("давление в норме, головокружение", {"dizziness"}),
    ("давление 120/80, слабость", {"weakness"}),
    ("температура 36,6, кашель", {"cough"}),
    ("кашель, температуры не было", {"cough"}),
]

# «не» belongs to these symptoms: the negation reading must not remove them
NEGATIVE_WORDING = [
    ("не спит ночами", {"sleep_problems"}),
    ("не ест второй день", {"feeding_problems"}),
    ("рука не слушается", {"limb_numbness"}),
    ("не реагирует на голос", {"fainting"}),
    ("кашель не проходит", {"cough"}),
    ("температура не сбивается", {"fever"}),
]

NOISE = [
    ("Смирнова Ольга Петровна(мать), кашель, МОСКОВСКИЙ ПОЛИС", {"cough"}),
    ("Горлова Анна Ивановна, насморк", {"runny_nose"}),
    ("Актив СМП: 76Е кашель, насморк", {"cough", "runny_nose"}),
    ("кашель, предложена 112", {"cough"}),
    ("ОРВИ, кашель", {"cough"}),
    ("УКУС НАСЕКОМОГО (НЕ НА ЛИЦЕ, РЕБЕНОК)", {"insect_bite"}),
    ("ДРУГИХ ЖАЛОБ НЕТ", set()),
    ("вызовите врача на дом", set()),
]

REASON_CODES = [
    ("76Е АЛЛЕРГИЯ, СЫПЬ", "76Е"),
    ("Актив СМП: 47Е КАШЕЛЬ", "47Е"),
    ("  73е температура", "73Е"),
    ("кашель 2 недели", None),
    ("Температура 38", None),
]


CATALOG_CODES = {
    "fever", "cough", "sore_throat", "abdominal_pain", "diarrhea", "nausea_vomiting",
    "chest_pain", "arrhythmia", "blood_pressure", "headache", "dizziness", "fainting",
    "weakness", "runny_nose", "lymph_nodes", "stomach_upset", "dyspnea", "edema",
    "limb_numbness", "unsteady_gait", "mild_pain", "body_discomfort", "minor_injury",
    "hiccups", "sleep_problems", "anxiety", "gum_swelling", "salivation", "feeding_problems",
    "post_vaccination", "diathesis", "rash", "itch", "allergy", "insect_bite", "back_pain",
    "joint_pain", "ear_pain", "eye_problem", "urinary_problem", "patronage",
    "death_confirmation", "sick_leave", "prescription",
}  # fmt: skip


@pytest.mark.parametrize(("text", "codes"), SYMPTOMS)
def test_parse_codes_symptoms_from_lemmas_stems_and_misspellings(
    parser: ComplaintParser, text: str, codes: set[str]
) -> None:
    assert set(parser.parse(text).symptoms) == codes


@pytest.mark.parametrize(("text", "codes"), NEGATED)
def test_parse_skips_negated_and_normal_mentions_within_their_clause(
    parser: ComplaintParser, text: str, codes: set[str]
) -> None:
    assert set(parser.parse(text).symptoms) == codes


@pytest.mark.parametrize(("text", "codes"), NEGATIVE_WORDING)
def test_parse_keeps_symptoms_worded_with_a_negation(
    parser: ComplaintParser, text: str, codes: set[str]
) -> None:
    assert codes <= set(parser.parse(text).symptoms)


@pytest.mark.parametrize(("text", "codes"), NOISE)
def test_parse_ignores_names_policies_codes_and_operator_notes(
    parser: ComplaintParser, text: str, codes: set[str]
) -> None:
    assert set(parser.parse(text).symptoms) == codes


@pytest.mark.parametrize(("text", "code"), REASON_CODES)
def test_parse_reads_the_ambulance_reason_code_at_the_start(
    parser: ComplaintParser, text: str, code: str | None
) -> None:
    assert parser.parse(text).reason_code == code


def test_parse_returns_sorted_unique_codes_and_spans_over_the_text(parser: ComplaintParser) -> None:
    text = "Кашель, температура 38,5, снова кашель"
    parsed = parser.parse(text)
    assert parsed.symptoms == ("cough", "fever")
    assert parsed.temperature == 38.5
    assert {text[start:end].lower() for code, start, end in parsed.spans if code == "cough"} == {
        "кашель"
    }


def test_as_dict_has_the_keys_the_pipeline_writes(parser: ComplaintParser) -> None:
    result = parser.parse("76Е задыхается, температура 39").as_dict()
    assert set(result) == {"symptoms", "temperature", "emergency", "reason_code", "red_flags"}
    assert result["emergency"] is True
    assert result["reason_code"] == "76Е"
    flags = result["red_flags"]
    assert isinstance(flags, list)
    assert {"code", "reason", "start", "end", "possible"} == set(flags[0])


def test_catalog_labels_every_code_in_russian(parser: ComplaintParser) -> None:
    catalog = parser.catalog()
    assert catalog["fever"] == "Температура"
    assert set(catalog) == CATALOG_CODES
    assert all(label and label[0].isupper() for label in catalog.values())


def test_parse_is_fast_after_warm_up(parser: ComplaintParser) -> None:
    texts = [text for text, _ in SYMPTOMS + NEGATED]
    for text in texts:
        parser.parse(text)
    timings = []
    for text in texts:
        start = time.perf_counter()
        parser.parse(text)
        timings.append(time.perf_counter() - start)
    timings.sort()
    assert timings[len(timings) // 2] < 0.002
