"""Complaint text to catalog symptom codes, temperature, red flags and the emergency verdict."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from natasha import MorphVocab
from rapidfuzz import fuzz, process

from nlp.temperature import temperatures
from nlp.triage import Findings, Hit, RedFlag, Triage, stated_age

__all__ = ["ComplaintParser", "ParsedComplaints", "RedFlag"]

MAX_GAP = 2  # other words allowed between two words of one pattern
FUZZY_MIN_LENGTH = 5
FUZZY_SCORE = 85.0
FEVER_FROM = 37.0

_TOKEN = re.compile(r"[а-яa-z]+|\d+(?:[.,]\d+)?")
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\[\]«»\"\n/]|\s[-–—]\s|^\s*-")
_SITE_PREPOSITIONS = frozenset({"в", "во"})
_SENTENCE_BREAK = re.compile(r"[.;:!?\n]")
_SOFT_BREAK = re.compile(r"^\.\s*$")  # a lone dot: may close an abbreviation rather than a clause
# Clinical shorthand closed by a dot inside one phrase: «боли в обл. поясницы»,
# «поясн. отд. позвон.», «хар-ра», «н.к.» (нижние конечности),
# «п.о.п.» (поясничный отдел позвоночника).
_ABBREVIATIONS = frozenset(
    {
        "обл",
        "отд",
        "поясн",
        "позв",
        "позвон",
        "грудн",
        "шейн",
        "хар",
        "ра",
        "пр",
        "прав",
        "лев",
        "нижн",
        "верхн",
        "конечн",
        "ок",
        "см",
        "пр-но",
        "т",
        "ч",
        "в",
        "н",
        "к",
        "п",
        "о",
        "ш",
        "г",
    }
)
_CLAUSE_WORDS = frozenset({"но", "а", "однако"})
_NEGATORS = frozenset({"не", "ни"})
_NEGATING_BEFORE = frozenset({"без", "нет", "нету", "отрицает", "отрицают", "отсутствие"})
_NEGATING_AFTER = frozenset({"нет", "нету", "отсутствует", "отсутствуют"})
_NEGATED_VERB = re.compile(
    r"^(?:был|терял|потерял|наблюда|отмеча|беспоко|повыша|поднима|возника|появля|повтор"
    r"|предъявля|испытыва|ощуща|замеча|выявл|регистрир)"
)
# «приступов удушья за последние 3 мес не было», «нарушение ритма отрицает»: a negation that
# closes the phrase a few words after the symptom.
_NEGATION_REACH = 7
_CLOSING_NEGATION = frozenset({"нет", "нету", "отрицает", "отрицают", "отсутствует", "отсутствуют"})
_NORMAL = re.compile(r"^норм")
_REASON_CODE = re.compile(
    r"^\s*(?:актив\s+смп\s*[:\-]?\s*)?(?P<code>\d{2}\s?[а-яa-z])(?![а-яa-z])", re.IGNORECASE
)
_SMP_NOTE = re.compile(r"\bактив\s+смп\b\s*:?", re.IGNORECASE)
# «Смирнова Ольга Петровна», «ОЛЬГА ПЕТРОВНА»: a relative's or caller's name is not a complaint.
_FULL_NAME = re.compile(
    r"(?:\b[А-ЯЁ][а-яё]+\s+){1,2}[А-ЯЁ][а-яё]+(?:вич|вна|чна|ична|тич)\b"
    r"|(?:\b[А-ЯЁ]{2,}\s+){1,2}[А-ЯЁ]{2,}(?:ВИЧ|ВНА|ЧНА|ИЧНА)\b"
)
_PRESSURE = re.compile(r"(?<!\d)(?P<sys>\d{2,3})\s*/\s*(?P<dia>\d{2,3})(?!\d)")
_PRESSURE_WORDS = re.compile(r"высок|низк|повыш|пониж|поднял|подним|упал|скач|криз|гипер|гипо")
_NORMAL_SYSTOLIC = range(100, 140)
_NORMAL_DIASTOLIC = range(60, 90)


@dataclass(frozen=True, slots=True)
class ParsedComplaints:
    """Symptom codes, temperature, red flags and the emergency verdict for one complaint text."""

    symptoms: tuple[str, ...]
    temperature: float | None
    reason_code: str | None
    red_flags: tuple[RedFlag, ...]
    emergency: bool
    spans: tuple[tuple[str, int, int], ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "symptoms": list(self.symptoms),
            "temperature": self.temperature,
            "emergency": self.emergency,
            "reason_code": self.reason_code,
            "red_flags": [
                {
                    "code": flag.code,
                    "reason": flag.reason,
                    "start": flag.start,
                    "end": flag.end,
                    "possible": flag.possible,
                }
                for flag in self.red_flags
            ],
        }


@dataclass(frozen=True, slots=True)
class _Token:
    form: str
    start: int
    end: int
    clause: int


@dataclass(frozen=True, slots=True)
class _Document:
    tokens: tuple[_Token, ...]
    clauses: tuple[range, ...]
    terms: tuple[frozenset[str], ...]
    # Clauses negated by a list that ends in a negation: «кашля, насморка нет».
    negated_clauses: frozenset[int] = frozenset()
    # Tokens that can only be genitive (not nominative): «кашля», «отеков».
    genitive: tuple[bool, ...] = ()
    # Tokens that name a symptom by themselves: «температуры», «насморка».
    heads: tuple[bool, ...] = ()
    # Every term of each clause's tokens.
    clause_terms: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Pattern:
    code: str
    groups: tuple[frozenset[str], ...]
    alone: bool = False
    gap: int = MAX_GAP


@dataclass(frozen=True, slots=True)
class _Match:
    code: str
    positions: tuple[int, ...]
    clause: int


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


class _Vocabulary:
    """Maps a word form to the pattern terms it satisfies: form, lemma, stem or a near miss."""

    def __init__(
        self, morph: MorphVocab, terms: Iterable[str], spellings: Mapping[str, str]
    ) -> None:
        self._morph = morph
        self._spellings = {_fold(wrong): _fold(right) for wrong, right in spellings.items()}
        self._exact: dict[str, set[str]] = {}
        self._lemma: dict[str, set[str]] = {}
        self._stems: dict[str, set[str]] = {}
        for term in terms:
            if term.endswith("*"):
                self._stems.setdefault(term[:-1], set()).add(term)
            elif term.startswith("="):
                self._exact.setdefault(term[1:], set()).add(term)
            else:
                self._exact.setdefault(term, set()).add(term)
                self._lemma.setdefault(term, set()).add(term)
        self._near: dict[str, str] = {}
        for word in self._lemma:
            if len(word) >= FUZZY_MIN_LENGTH:
                for form in self._forms(word):
                    self._near.setdefault(form, word)
        self._near_choices = list(self._near)
        self.terms_of: Callable[[str], frozenset[str]] = lru_cache(maxsize=65536)(self._lookup)
        self.cases_of: Callable[[str], tuple[bool, bool]] = lru_cache(maxsize=65536)(self._cases)
        self.is_attribute: Callable[[str], bool] = lru_cache(maxsize=65536)(self._attribute)

    def _attribute(self, form: str) -> bool:
        """An adjective or participle by its likeliest parse: «умеренные», «приступообразные»."""
        parses = self._morph.parse(form)
        return bool(parses) and parses[0].tag.POS in {"ADJF", "PRTF"}

    def _cases(self, form: str) -> tuple[bool, bool]:
        """(may be genitive, reads as genitive rather than nominative) for a word form.

        «кашля», «удушья», «одышки» read as genitive; «судороги», «кашель» as nominative:
        the likeliest parse decides, and a form that is nominative only in the plural of a
        singular noun («удушья») still counts as genitive.
        """
        parses = self._morph.parse(form)
        if not parses:
            return False, False
        cases = {parse.tag.case for parse in parses}
        may = "gent" in cases or "gen2" in cases
        first = parses[0].tag
        singular_nominative = any(
            parse.tag.case == "nomn" and parse.tag.number == "sing" for parse in parses
        )
        reads = may and first.case != "nomn" and (first.case == "gent" or not singular_nominative)
        return may, reads

    def _forms(self, word: str) -> set[str]:
        for parse in self._morph.parse(word):
            if _fold(parse.normal_form) == word:
                return {_fold(form.word) for form in parse.lexeme} | {word}
        return {word}

    def _lemmas(self, form: str) -> set[str]:
        return {_fold(parse.normal_form) for parse in self._morph.parse(form)}

    def _lookup(self, form: str) -> frozenset[str]:
        form = self._spellings.get(form, form)
        found: set[str] = set(self._exact.get(form, ()))
        for lemma in self._lemmas(form):
            found |= self._lemma.get(lemma, set())
        for size in range(2, len(form) + 1):
            found |= self._stems.get(form[:size], set())
        if not found and len(form) >= FUZZY_MIN_LENGTH and not self._morph.word_is_known(form):
            near = process.extractOne(
                form, self._near_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_SCORE
            )
            if near is not None and near[0][0] == form[0]:
                found |= self._lemma[self._near[near[0]]]
        return frozenset(found)


class _Matcher:
    """Finds catalog patterns in a document, skipping negated mentions and cancelled ones."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        patterns: list[_Pattern] = []
        self._regexes: list[tuple[str, re.Pattern[str]]] = []
        self._unless: dict[str, list[_Pattern]] = {}
        for code, entry in entries.items():
            gap = int(entry.get("gap", MAX_GAP))
            for spec in entry.get("patterns", ()):
                if spec.startswith("re:"):
                    self._regexes.append((code, re.compile(spec[3:])))
                else:
                    patterns.append(_Pattern(code, _groups(spec), gap=gap))
            for word in entry.get("misspellings", ()):
                patterns.append(_Pattern(code, (frozenset({"=" + _fold(word)}),)))
            for word in entry.get("alone", ()):
                patterns.append(_Pattern(code, _groups(word), alone=True))
            unless_gap = int(entry.get("unless_gap", MAX_GAP))
            self._unless[code] = [
                _Pattern(code, _groups(spec), gap=unless_gap) for spec in entry.get("unless", ())
            ]
        # Longer phrases first: their words are then not read again as single-word symptoms.
        self.patterns = sorted(patterns, key=lambda item: -len(item.groups))
        # Term of a pattern's first group -> indices of the patterns, so that a document is
        # tried only against the patterns whose first word it has.
        self._by_first_term: dict[str, list[int]] = {}
        for index, pattern in enumerate(self.patterns):
            for term in pattern.groups[0]:
                self._by_first_term.setdefault(term, []).append(index)

    def head_terms(self) -> set[str]:
        """Terms that name a code by themselves («температура», «кашель»)."""
        found: set[str] = set()
        for pattern in self.patterns:
            if len(pattern.groups) == 1:
                found |= pattern.groups[0]
        return found

    def terms(self) -> set[str]:
        found: set[str] = set()
        for pattern in itertools.chain(self.patterns, *self._unless.values()):
            for group in pattern.groups:
                found |= group
        return found

    def find(self, doc: _Document, text: str) -> list[Hit]:
        available = frozenset().union(*doc.clause_terms)
        claimed: dict[int, str] = {}
        hits: list[Hit] = []
        for pattern in self._candidates(available):
            first_group, rest = pattern.groups[0], pattern.groups[1:]
            if rest and any(group.isdisjoint(available) for group in rest):
                continue
            for index, clause in enumerate(doc.clauses):
                # A clause that lacks one of the pattern's words holds no occurrence of it.
                clause_terms = doc.clause_terms[index]
                if first_group.isdisjoint(clause_terms) or index in doc.negated_clauses:
                    continue
                if rest and any(group.isdisjoint(clause_terms) for group in rest):
                    continue
                for positions in _occurrences(doc, clause, pattern):
                    single = len(pattern.groups) == 1
                    if single and claimed.get(positions[0], pattern.code) != pattern.code:
                        continue
                    if _negated(doc, clause, positions):
                        continue
                    if self._cancelled(doc, clause, pattern.code):
                        continue
                    if not single:
                        for position in positions:
                            claimed.setdefault(position, pattern.code)
                    first, last = doc.tokens[positions[0]], doc.tokens[positions[-1]]
                    hits.append(Hit(pattern.code, first.start, last.end))
        for code, regex in self._regexes:
            for found in regex.finditer(text):
                hits.append(Hit(code, found.start(), found.end()))
        hits.sort(key=lambda hit: (hit.start, hit.end))
        return hits

    def _candidates(self, available: frozenset[str]) -> list[_Pattern]:
        """Patterns whose first word the document has, in catalog order."""
        by_first_term = self._by_first_term
        indices: set[int] = set()
        for term in available:
            found = by_first_term.get(term)
            if found is not None:
                indices.update(found)
        return [self.patterns[index] for index in sorted(indices)]

    def _cancelled(self, doc: _Document, clause: range, code: str) -> bool:
        return any(
            not _negated(doc, clause, positions)
            for pattern in self._unless.get(code, ())
            for positions in _occurrences(doc, clause, pattern)
        )


def _groups(spec: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(_fold(term) for term in group.split("|")) for group in spec.split())


def _occurrences(doc: _Document, clause: range, pattern: _Pattern) -> Iterator[tuple[int, ...]]:
    """Token positions of each occurrence of the pattern within one clause."""
    if pattern.alone:
        if len(clause) == 1 and doc.terms[clause[0]] & pattern.groups[0]:
            yield (clause[0],)
        return
    candidates = [[i for i in clause if doc.terms[i] & group] for group in pattern.groups]
    if not all(candidates):
        return
    if len(candidates) == 1:
        for position in candidates[0]:
            yield (position,)
        return
    best: tuple[int, ...] | None = None
    for combination in itertools.product(*candidates):
        ordered = tuple(sorted(combination))
        if len(set(ordered)) != len(ordered):
            continue
        if any(b - a > pattern.gap + 1 for a, b in itertools.pairwise(ordered)):
            continue
        if best is None or ordered[-1] - ordered[0] < best[-1] - best[0]:
            best = ordered
    if best is not None:
        yield best


def _negated(doc: _Document, clause: range, positions: Sequence[int]) -> bool:
    """«не кашляет», «без температуры», «удушья нет», «сознание не терял»: negated."""
    forms = doc.tokens
    first, last = positions[0], positions[-1]
    inside = set(positions)
    for i in range(first, last + 1):
        if i not in inside and forms[i].form in _NEGATORS | {"нет", "без"}:
            return True
    before = [forms[i].form for i in range(max(clause.start, first - 3), first)]
    if before and before[-1] in _NEGATORS:
        return True
    if any(form in _NEGATING_BEFORE for form in before):
        return True
    if len(before) >= 2 and before[-2] == "не" and _NEGATED_VERB.match(before[-1]):
        return True
    after = [forms[i].form for i in range(last + 1, min(clause.stop, last + 4))]
    if after and (_NORMAL.match(after[0]) or after[:2] == ["в", "норме"]):
        return True
    return _closing_negation(doc, clause, last)


def _closing_negation(doc: _Document, clause: range, last: int) -> bool:
    """A negation closing the clause a few words on, with no «и»/«или» before it."""
    forms = doc.tokens
    for i in range(last + 1, min(clause.stop, last + 1 + _NEGATION_REACH)):
        form = forms[i].form
        if form in _CLOSING_NEGATION:
            return True
        if form in {"не", "более", "больше"} and i + 1 < clause.stop:
            following = forms[i + 1].form
            if _NEGATED_VERB.match(following) or following == "не":
                return True
        # «кашля и насморка нет» goes on; «кашель и температуры нет» stops
        genitive = doc.genitive
        listed = bool(genitive) and genitive[last] and i + 1 < clause.stop and genitive[i + 1]
        if form in {"и", "или"} and not listed:
            return False
        # «давит в груди температуры нет»: another symptom owns the negation
        coordinated = forms[i - 1].form in {"и", "или"}
        if doc.heads and doc.heads[i] and not coordinated:
            return False
    return False


def _load(name: str) -> dict[str, Any]:
    source = resources.files("nlp").joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.safe_load(source)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: a mapping expected")
    return data


def _normal_pressure(text: str) -> bool:
    """«давление 130/80» without «высокое/низкое»: a normal value is not a complaint."""
    values = [(int(m["sys"]), int(m["dia"])) for m in _PRESSURE.finditer(text)]
    return (
        bool(values)
        and all(s in _NORMAL_SYSTOLIC and d in _NORMAL_DIASTOLIC for s, d in values)
        and not _PRESSURE_WORDS.search(text)
    )


class ComplaintParser:
    """Reads a free-text complaint into catalog codes, temperature and red flags."""

    def __init__(self, morph: MorphVocab) -> None:
        data = _load("symptoms.yaml")
        catalog: dict[str, Mapping[str, Any]] = data["symptoms"]
        red_flags = _load("red_flags.yaml")
        self._labels = {code: str(entry["label"]) for code, entry in catalog.items()}
        self._symptoms = _Matcher(catalog)
        flags: dict[str, Mapping[str, Any]] = dict(red_flags["flags"])
        cues = {f"cue:{name}": {"patterns": specs} for name, specs in red_flags["cues"].items()}
        self._flags = _Matcher({**flags, **cues})
        reasons = {code: str(entry["reason"]) for code, entry in flags.items()}
        reasons.update({code: str(reason) for code, reason in red_flags["derived"].items()})
        possible = [code for code, entry in flags.items() if entry.get("possible")]
        self._triage = Triage(reasons, possible)
        self._vocabulary = _Vocabulary(
            morph, self._symptoms.terms() | self._flags.terms(), data.get("spellings", {})
        )
        self._heads = frozenset(self._symptoms.head_terms())

    def catalog(self) -> Mapping[str, str]:
        """Symptom code -> Russian label, for the desk's chips."""
        return dict(self._labels)

    def parse(self, text: str, age_years: float | None = None) -> ParsedComplaints:
        """Symptoms, temperature and red flags; `age_years` comes from the birth date when known."""
        reason = _REASON_CODE.match(text)
        reason_code = reason["code"].replace(" ", "").upper() if reason else None
        cleaned = _mask(text, reason.span("code") if reason else None)
        folded = _fold(cleaned)
        # Symptoms read a phrase across commas («боли умеренные, в области сердца»); red flags
        # keep strict clauses, so that «одышка при ходьбе, в покое задыхается» is not cancelled.
        phrases, doc = self._documents(folded)

        symptom_hits: dict[str, list[Hit]] = {}
        for hit in self._symptoms.find(phrases, folded):
            symptom_hits.setdefault(hit.code, []).append(hit)
        flag_hits: list[Hit] = []
        cue_hits: dict[str, list[Hit]] = {}
        for hit in self._flags.find(doc, folded):
            if hit.code.startswith("cue:"):
                cue_hits.setdefault(hit.code[4:], []).append(hit)
            else:
                flag_hits.append(hit)

        values = temperatures(cleaned)
        top = max(values, key=lambda item: item.value) if values else None
        temperature = round(top.value, 1) if top else None
        if top is not None and top.value >= FEVER_FROM:
            symptom_hits.setdefault("fever", []).append(Hit("fever", top.start, top.end))
        elif top is not None:
            symptom_hits.pop("fever", None)  # only a normal value such as 36,6
        if "blood_pressure" in symptom_hits and _normal_pressure(folded):
            del symptom_hits["blood_pressure"]
        if any(hit.code == "trauma" for hit in flag_hits):
            symptom_hits.pop("minor_injury", None)

        findings = Findings(
            flags=flag_hits,
            cues=cue_hits,
            symptoms=symptom_hits,
            temperature=temperature,
            temperature_span=(top.start, top.end) if top else None,
            age_years=age_years if age_years is not None else stated_age(cleaned),
            text_length=len(text),
            text=folded,
        )
        red_flags = self._triage.assess(findings)
        spans = sorted(
            (hit.code, hit.start, hit.end) for hits in symptom_hits.values() for hit in hits
        )
        return ParsedComplaints(
            symptoms=tuple(sorted(symptom_hits)),
            temperature=temperature,
            reason_code=reason_code,
            red_flags=red_flags,
            emergency=bool(red_flags),
            spans=tuple(sorted(spans, key=lambda item: (item[1], item[2]))),
        )

    def _documents(self, folded: str) -> tuple[_Document, _Document]:
        """The text read as phrases (across some commas) and as strict clauses, tokenized once."""
        forms: list[str] = []
        spans: list[tuple[int, int]] = []
        # Per token: None, or (gap before it, reads as an attribute, opens a sentence) where a
        # clause may close before it.
        boundaries: list[tuple[str, bool, bool] | None] = []
        previous_end = 0
        for found in _TOKEN.finditer(folded):
            form = found.group()
            start, end = found.span()
            gap = folded[previous_end:start]
            boundary = None
            # A single space, the commonest gap, never breaks a clause.
            breaks = gap != " " and _CLAUSE_BREAK.search(gap) is not None
            if forms and (breaks or form in _CLAUSE_WORDS):
                abbreviation = _SOFT_BREAK.match(gap) and forms[-1] in _ABBREVIATIONS
                if not abbreviation:
                    attribute = self._vocabulary.is_attribute(form)
                    boundary = (gap, attribute, _SENTENCE_BREAK.search(gap) is not None)
            forms.append(form)
            spans.append((start, end))
            boundaries.append(boundary)
            previous_end = end
        terms = tuple(self._vocabulary.terms_of(form) for form in forms)
        cases = [self._vocabulary.cases_of(form) for form in forms]
        genitive = tuple(reads for _, reads in cases)
        heads = tuple(bool(found & self._heads) for found in terms)

        def read(phrases: bool) -> _Document:
            tokens: list[_Token] = []
            clauses: list[range] = []
            openings = {0}  # clauses that open a sentence (after «.», «;», «:» or a new line)
            opened = 0  # the first token of the current clause
            for index, boundary in enumerate(boundaries):
                if boundary is not None:
                    gap, attribute, sentence = boundary
                    words = forms[opened:index] if phrases else []
                    if not (phrases and _phrase_goes_on(gap, forms[index], attribute, words)):
                        clauses.append(range(opened, index))
                        opened = index
                        if sentence:
                            openings.add(len(clauses))
                start, end = spans[index]
                tokens.append(_Token(forms[index], start, end, len(clauses)))
            if forms:
                clauses.append(range(opened, len(forms)))
            negated = _list_negations(tokens, clauses, cases, openings)
            clause_terms = tuple(frozenset().union(*terms[c.start : c.stop]) for c in clauses)
            return _Document(
                tuple(tokens), tuple(clauses), terms, negated, genitive, heads, clause_terms
            )

        return read(phrases=True), read(phrases=False)


def _phrase_goes_on(gap: str, form: str, attribute: bool, words: Sequence[str]) -> bool:
    """«боли умеренные, приступообразные, в области сердца»: one phrase across commas.

    `words` are the words of the phrase so far. A comma followed by a site («в ...») or by
    one more attribute of a short phrase keeps the phrase going; never after a negation, so
    «температуры нет, в горле першит» stays two.
    """
    if gap.strip() != ",":
        return False
    if not (form in _SITE_PREPOSITIONS or (attribute and len(words) <= ATTRIBUTE_PHRASE)):
        return False
    return not any(
        word in _NEGATORS or word in _NEGATING_BEFORE or word in _NEGATING_AFTER for word in words
    )


ATTRIBUTE_PHRASE = 3  # «боли умеренные,» goes on with «приступообразные»; a longer clause stops
LIST_ITEM_TOKENS = 3  # «головной боли», «кашля», «жидкого стула»: a short genitive list item
LIST_REACH = 4  # list items a closing negation reaches back over


def _list_negations(
    tokens: Sequence[_Token],
    clauses: Sequence[range],
    cases: Sequence[tuple[bool, bool]],
    openings: set[int],
) -> frozenset[int]:
    """Clauses of a genitive list closed by a negation: «кашля, насморка, одышки нет».

    The list opens its sentence: in «кашель, сопли, температуры нет» only the last item is
    negated.
    """

    def item(clause: range) -> bool:
        words = [i for i in clause if not tokens[i].form.isdigit()]
        return (
            0 < len(words) <= LIST_ITEM_TOKENS
            and all(cases[i][0] or tokens[i].form in {"в", "и"} for i in words)
            and any(cases[i][1] for i in words)
        )

    def closes(clause: range) -> bool:
        forms = [tokens[i].form for i in clause]
        if forms[-1] in _CLOSING_NEGATION:
            return True
        return any(
            a in {"не", "нет"} and (_NEGATED_VERB.match(b) is not None or b == "было")
            for a, b in itertools.pairwise(forms)
        )

    negated: set[int] = set()
    listing = False
    for index, clause in enumerate(clauses):
        listing = item(clause) and (index in openings or listing)
        if not listing:
            continue
        for later in range(index + 1, min(len(clauses), index + 1 + LIST_REACH)):
            if closes(clauses[later]):
                negated.add(index)
                break
            if not item(clauses[later]):
                break
    return frozenset(negated)


def _mask(text: str, code_span: tuple[int, int] | None) -> str:
    """Blank out the ambulance reason code, «Актив СМП:» and full names, keeping offsets."""
    chars = list(text)
    spans: list[tuple[int, int]] = [m.span() for m in _SMP_NOTE.finditer(text)]
    spans += [m.span() for m in _FULL_NAME.finditer(text)]
    if code_span:
        spans.append(code_span)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
