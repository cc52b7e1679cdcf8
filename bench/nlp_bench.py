"""NLP bench on every labelled set: ours beside natasha, address-normalizer and a baseline."""

from __future__ import annotations

import argparse
import gc
import importlib.util
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
from natasha import AddrExtractor, MorphVocab

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = REPO_ROOT.parent / "shared" / "eval"
ROUNDS = 5  # timed passes over a dev set after one warm-up pass

# natasha's part types -> our fields (its street types are ours as written).
NATASHA_FIELDS: dict[str, str] = {
    "область": "region",
    "край": "region",
    "республика": "region",
    "автономный округ": "region",
    "район": "district",
    "город": "city",
    "село": "city",
    "деревня": "city",
    "посёлок": "city",
    "дом": "house",
    "корпус": "korpus",
    "строение": "building",
    "квартира": "flat",
}
NATASHA_STREET_TYPES = frozenset(
    {"улица", "проспект", "проезд", "переулок", "площадь", "шоссе", "набережная", "бульвар"}
)

# The naive complaint baseline: a symptom is present when one of its lemmas is.
BASELINE_LEMMAS: dict[str, tuple[str, ...]] = {
    "fever": ("температура", "жар", "лихорадка", "озноб", "знобить"),
    "cough": ("кашель", "кашлять"),
    "sore_throat": ("горло",),
    "abdominal_pain": ("живот", "колика"),
    "diarrhea": ("понос", "диарея"),
    "nausea_vomiting": ("тошнота", "рвота", "тошнить", "рвать"),
    "chest_pain": ("грудь",),
    "arrhythmia": ("перебой", "сердцебиение"),
    "blood_pressure": ("давление", "гипертоник"),
    "headache": ("мигрень", "головной"),
    "dizziness": ("головокружение",),
    "fainting": ("обморок", "сознание"),
    "weakness": ("слабость", "недомогание", "вялость"),
    "runny_nose": ("насморк", "сопля", "чихать"),
    "dyspnea": ("одышка", "задыхаться", "удушье"),
    "edema": ("отёк", "отек"),
    "rash": ("сыпь", "высыпание", "крапивница"),
    "itch": ("зуд", "чесаться"),
    "allergy": ("аллергия",),
    "back_pain": ("спина", "поясница"),
    "joint_pain": ("сустав", "колено"),
    "ear_pain": ("ухо",),
    "eye_problem": ("глаз",),
    "urinary_problem": ("мочеиспускание",),
    "insect_bite": ("клещ", "укус"),
    "sick_leave": ("больничный", "справка"),
    "prescription": ("рецепт",),
    "patronage": ("патронаж",),
    "death_confirmation": ("констатация", "смерть"),
}
BASELINE_RED_FLAGS = frozenset(
    {
        "сознание",
        "удушье",
        "задыхаться",
        "судорога",
        "кровотечение",
        "инсульт",
        "перелом",
        "дтп",
        "ожог",
        "отравление",
        "роды",
        "схватка",
        "синеть",
        "анафилаксия",
        "квинке",
        "перекосить",
    }
)
# address-normalizer's parts -> our fields (a settlement is our city) and its street type words.
AN_FIELDS: dict[str, str] = {
    "region": "region",
    "district": "district",
    "city": "city",
    "settlement": "city",
    "street": "street",
    "street_type": "street_type",
    "house_num": "house",
    "corpus": "korpus",
    "structure": "building",
    "apartment": "flat",
}
AN_STREET_TYPES: dict[str, str] = {
    "ул": "улица",
    "пр-кт": "проспект",
    "просп": "проспект",
    "пр": "проспект",
    "пер": "переулок",
    "ш": "шоссе",
    "б-р": "бульвар",
    "бул": "бульвар",
    "пл": "площадь",
    "пр-д": "проезд",
    "туп": "тупик",
    "наб": "набережная",
    "мкр": "микрорайон",
    "мкр-н": "микрорайон",
    "кв-л": "квартал",
    "ал": "аллея",
    "тер": "территория",
}
NUMBERED_FIELDS = frozenset({"house", "korpus", "building", "flat"})
_HOUSE_NUMBER = re.compile(r"(\d+(?:/\d+)?)\s*([а-иА-И](?![а-яА-Я]))?")
_WORD = re.compile(r"[а-яё]+", re.IGNORECASE)
_TEMPERATURE = re.compile(r"\b(3[5-9]|4[0-2])(?:[.,](\d))?\b")


@dataclass(frozen=True, slots=True)
class Timed:
    """Predictions for a dev set and the per-text latencies (ms) of the timed passes."""

    preds: dict[str, dict[str, Any]]
    latencies: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def load_scorer(eval_dir: Path) -> ModuleType:
    """The eval's own score.py, so that values are normalized exactly as the scorer does."""
    spec = importlib.util.spec_from_file_location("eval_score", eval_dir / "score.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(eval_dir / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(rows: list[dict[str, Any]], predict: Callable[[str], dict[str, Any]]) -> Timed:
    gc.collect()
    for row in rows:
        predict(row["text"])  # warm-up: caches, lazy tables
    latencies: list[float] = []
    preds: dict[str, dict[str, Any]] = {}
    for _ in range(ROUNDS):
        for row in rows:
            start = time.perf_counter()
            preds[row["id"]] = predict(row["text"])
            latencies.append((time.perf_counter() - start) * 1000)
    return Timed(preds, latencies)


def natasha_address(extractor: AddrExtractor) -> Callable[[str], dict[str, Any]]:
    """natasha's address parts mapped to our fields: the first part of each kind wins."""

    def predict(text: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for match in extractor(text):
            part = match.fact
            kind = str(part.type or "")
            value = str(part.value or "")
            if kind in NATASHA_STREET_TYPES:
                out.setdefault("street", value)
                out.setdefault("street_type", kind)
            elif kind in NATASHA_FIELDS:
                field = NATASHA_FIELDS[kind]
                out.setdefault(field, _number(value) if field in NUMBERED_FIELDS else value)
        return out

    return predict


def _number(value: str) -> str:
    """natasha's «10 Б» -> «10Б», as the eval writes it; its «54 П» (from «П-д.») -> «54»."""
    match = _HOUSE_NUMBER.match(value)
    return (match.group(1) + (match.group(2) or "")).upper() if match else value


def score_address(
    scorer: ModuleType, rows: list[dict[str, Any]], preds: Mapping[str, Mapping[str, Any]]
) -> tuple[float, float]:
    """(whole-record exact match, mean field accuracy) with the scorer's normalization."""
    keys: list[str] = scorer.ADDR_KEYS
    exact = 0
    correct = 0
    for row in rows:
        pred = preds.get(row["id"], {})
        ok = [scorer.norm(row["gold"].get(k)) == scorer.norm(pred.get(k)) for k in keys]
        exact += all(ok)
        correct += sum(ok)
    return exact / len(rows), correct / (len(rows) * len(keys))


def lemma_baseline(morph: MorphVocab) -> Callable[[str], dict[str, Any]]:
    by_lemma: dict[str, set[str]] = {}
    for code, lemmas in BASELINE_LEMMAS.items():
        for lemma in lemmas:
            by_lemma.setdefault(lemma, set()).add(code)

    def predict(text: str) -> dict[str, Any]:
        lemmas = {str(morph.parse(w.lower())[0].normal_form) for w in _WORD.findall(text)}
        symptoms = sorted({code for lemma in lemmas for code in by_lemma.get(lemma, ())})
        values = [float(f"{a}.{b or 0}") for a, b in _TEMPERATURE.findall(text)]
        return {
            "symptoms": symptoms,
            "temperature": max(values) if values else None,
            "emergency": bool(lemmas & BASELINE_RED_FLAGS),
        }

    return predict


def score_complaints(
    scorer: ModuleType, rows: list[dict[str, Any]], preds: Mapping[str, Mapping[str, Any]]
) -> dict[str, float]:
    tp = fp = fn = temp_ok = e_tp = e_fp = e_fn = 0
    for row in rows:
        gold, pred = row["gold"], preds.get(row["id"], {})
        g, p = scorer.to_codes(gold.get("symptoms")), scorer.to_codes(pred.get("symptoms"))
        tp, fp, fn = tp + len(g & p), fp + len(p - g), fn + len(g - p)
        gt, pt = scorer.to_temp(gold.get("temperature")), scorer.to_temp(pred.get("temperature"))
        both_null = gt is None and pt is None
        temp_ok += both_null or (
            gt is not None and pt is not None and abs(gt - pt) < scorer.TEMP_TOL
        )
        ge, pe = bool(gold.get("emergency")), bool(pred.get("emergency"))
        e_tp, e_fp, e_fn = e_tp + (ge and pe), e_fp + (pe and not ge), e_fn + (ge and not pe)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "temp": temp_ok / len(rows),
        "e_recall": e_tp / (e_tp + e_fn) if e_tp + e_fn else 0.0,
        "e_precision": e_tp / (e_tp + e_fp) if e_tp + e_fp else 0.0,
        "missed": float(e_fn),
    }


def _table(title: str, header: list[str], rows: Iterable[list[str]]) -> str:
    body = [header, *rows]
    widths = [max(len(r[i]) for r in body) for i in range(len(header))]
    lines = [title]
    for n, row in enumerate(body):
        lines.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def address_normalizer_peer() -> Callable[[str], dict[str, Any]] | None:
    """address-normalizer (PyPI, GPL-3): a bench-only peer, never imported by the product."""
    try:
        from address_normalizer import parse  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    def predict(text: str) -> dict[str, Any]:
        parts: dict[str, Any] = dict(parse(text).as_dict())
        out: dict[str, Any] = {}
        for theirs, ours in AN_FIELDS.items():
            part = parts.get(theirs)
            if part and ours not in out:
                value = str(part["value"])
                out[ours] = _number(value) if ours in NUMBERED_FIELDS else value
        if "street_type" in out:
            kind = str(out["street_type"]).lower().rstrip(".")
            out["street_type"] = AN_STREET_TYPES.get(kind, kind)
        return out

    return predict


def _eval_sets(eval_dir: Path, kind: str) -> list[Path]:
    """Every labelled set of a kind in the eval folder: synthetic dev first, then real text."""
    return sorted(eval_dir.glob(f"{kind}_*.jsonl"), key=lambda path: ("real" in path.name, path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nlp_bench", description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    args = parser.parse_args(argv)
    eval_dir: Path = args.eval_dir
    scorer = load_scorer(eval_dir)

    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from nlp.pipeline import NlpPipeline

    start = time.perf_counter()
    pipeline = NlpPipeline.load()
    load_seconds = time.perf_counter() - start

    peer_morph = MorphVocab()
    address_peers: list[tuple[str, Callable[[str], dict[str, Any]]]] = [
        ("ours (nlp.address)", lambda text: pipeline.address.parse(text).as_dict()),
        ("natasha AddrExtractor", natasha_address(AddrExtractor(peer_morph))),
    ]
    normalizer = address_normalizer_peer()
    if normalizer is None:
        print("address-normalizer is not installed (requirements-bench.txt): its row is left out")
    else:
        address_peers.append(("address-normalizer", normalizer))
    for path in _eval_sets(eval_dir, "address"):
        address_rows = scorer.load_jsonl(str(path), "gold")
        rows = []
        for name, predict in address_peers:
            result = timed(address_rows, predict)
            exact, mean = score_address(scorer, address_rows, result.preds)
            rows.append(
                [name, f"{exact:.3f}", f"{mean:.3f}", f"{result.median:.3f}", f"{result.p99:.3f}"]
            )
        print(
            _table(
                f"Addresses: {path.name}, {len(address_rows)} texts",
                ["parser", "exact match", "mean field acc", "median ms", "p99 ms"],
                rows,
            )
        )
        print()

    complaint_peers: list[tuple[str, Callable[[str], dict[str, Any]]]] = [
        ("ours (nlp.complaints)", lambda text: pipeline.complaints.parse(text).as_dict()),
        ("lemma keyword baseline", lemma_baseline(peer_morph)),
    ]
    for path in _eval_sets(eval_dir, "complaints"):
        complaint_rows = scorer.load_jsonl(str(path), "gold")
        emergencies = sum(bool(row["gold"].get("emergency")) for row in complaint_rows)
        rows = []
        for name, predict in complaint_peers:
            result = timed(complaint_rows, predict)
            m = score_complaints(scorer, complaint_rows, result.preds)
            rows.append(
                [
                    name,
                    f"{m['f1']:.3f}",
                    f"{m['temp']:.3f}",
                    f"{m['e_recall']:.3f}",
                    f"{m['e_precision']:.3f}",
                    f"{m['missed']:.0f}",
                    f"{result.median:.3f}",
                    f"{result.p99:.3f}",
                ]
            )
        print(
            _table(
                f"Complaints: {path.name}, {len(complaint_rows)} texts, {emergencies} emergencies",
                [
                    "parser",
                    "symptom F1",
                    "temp acc",
                    "emerg. R",
                    "emerg. P",
                    "missed",
                    "median ms",
                    "p99 ms",
                ],
                rows,
            )
        )
        print()
    rss_mb = psutil.Process().memory_info().rss / 2**20
    print(f"NlpPipeline.load(): {load_seconds:.2f} s   process RSS: {rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
