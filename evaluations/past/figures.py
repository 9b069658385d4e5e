"""Figures in a report's sentences: amounts (万元, 元 converted, 亿元), numbers with units, and the
sentence each came from. Decimal throughout; the text as written is kept beside the value."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

DIGIT = "0-9０-９"
NUMBER = rf"[{DIGIT}]{{1,3}}(?:[,，][{DIGIT}]{{3}})+(?:[.．][{DIGIT}]+)?|[{DIGIT}]+(?:[.．][{DIGIT}]+)?"
AMOUNT_RE = re.compile(rf"(?P<number>{NUMBER})\s*(?P<unit>亿元|万元|元)")
SENTENCE_RE = re.compile(r"[^。！？!?]*(?:[。！？!?]+|$)")
# An amount in these units, in 万元: how many 万元 one unit is.
TO_WAN = {"万元": Decimal(1), "元": Decimal("0.0001"), "亿元": Decimal(10000)}


@dataclass
class Figure:
    """One value read from the text: ``value`` (Decimal; amounts in 万元), ``written`` exactly as
    the text has it (number and unit), the ``sentence`` it came from, and a ``note`` when the
    value is not the written number (converted from 元)."""

    value: Decimal
    written: str
    unit: str
    sentence: str
    note: str = ""

    def as_json(self) -> dict:
        data = {"value": str(self.value), "written": self.written, "unit": self.unit,
                "sentence": self.sentence}
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class Text:
    """A text read from the report, and the paragraph(s) it came from."""

    value: str
    sentence: str

    def as_json(self) -> dict:
        return {"value": self.value, "sentence": self.sentence}


def number_value(written: str) -> Decimal:
    """The Decimal a written number means: full-width digits and separators read as ASCII."""
    plain = unicodedata.normalize("NFKC", written).replace(",", "")
    return Decimal(plain)


def amount(match: re.Match, sentence: str) -> Figure:
    """An amount match as a Figure in 万元, converted (and saying so) from 元 or 亿元."""
    written_number, unit = match.group("number"), match.group("unit")
    value = number_value(written_number)
    note = ""
    if unit != "万元":
        value = value * TO_WAN[unit]
        note = _("原文单位为%(unit)s，已换算为万元") % {"unit": unit}
    return Figure(value, match.group(0), "万元", sentence, note)


def sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences, each with its full stop."""
    return [s for s in (m.group(0).strip() for m in SENTENCE_RE.finditer(paragraph)) if s]


def sentence_at(paragraph: str, position: int) -> str:
    """The sentence of ``paragraph`` holding the character at ``position``."""
    start = 0
    for m in SENTENCE_RE.finditer(paragraph):
        if m.start() <= position < m.end() or m.end() == len(paragraph):
            return paragraph[m.start():m.end()].strip()
        start = m.end()
    return paragraph[start:].strip()


# --- Statements: "name [verb] number unit" clauses (targets and what was achieved) ----------------

# Clauses end at a comma or stop, but not at a thousands separator ("1,200人次", "１，２００").
CLAUSE_SPLIT_RE = re.compile(
    r"[；;。！？!?]|(?<![0-9０-９])[,，]|[,，](?![0-9０-９]{3}(?![0-9０-９]))"
)
GTE_WORDS = ("达到", "不低于", "不少于", "超过", "达")
LTE_WORDS = ("不超过", "不高于", "控制在", "低于", "少于")
VERBS = sorted(GTE_WORDS + LTE_WORDS + ("为", "是", "完成"), key=len, reverse=True)
UNIT = r"%|％|[^\s0-9０-９，,；;。、：:（）()“”\"]{1,4}"
STATEMENT_RE = re.compile(
    rf"^(?P<name>.*?)(?P<verb>{'|'.join(VERBS)})?\s*(?P<number>{NUMBER})\s*(?P<unit>{UNIT})"
    rf"(?P<bound>以上|以下|以内)?$"
)
GROWTH_RE = re.compile(rf"^(?:同比)?(?P<word>增长|增加|提高|提升|下降|减少)(?P<number>{NUMBER})\s*(?P<unit>%|％)$")
LEAD_RE = re.compile(r"^(?:[0-9０-９]{1,2}\s*(?:、|[.．](?![0-9０-９])))?\s*(?:[^：:，,]{1,12}[：:])?")


@dataclass
class Statement:
    """A clause stating a quantity: ``name`` (what), its value and unit, and the comparison its
    words make (``gte`` for 达到/不低于/…/以上, ``lte`` for 不超过/…/以内, '' when none)."""

    name: str
    figure: Figure
    comparison: str
    word: str


def statements(paragraph: str) -> list[Statement]:
    """Every "name [verb] number unit" clause of a paragraph, a growth rate named after the
    quantity before it ("技工贸总收入达到275亿元，增长4.96%" → 技工贸总收入增长率 4.96 %)."""
    found: list[Statement] = []
    for sentence in sentences(paragraph):
        previous = ""
        for clause in CLAUSE_SPLIT_RE.split(sentence):
            clause = LEAD_RE.sub("", clause.strip()).strip()
            growth = GROWTH_RE.match(clause)
            if growth and previous:
                name = previous + ("增长率" if growth.group("word") in ("增长", "增加") else
                                   growth.group("word") + "率")
                figure = Figure(number_value(growth.group("number")), clause[growth.start("number"):],
                                "%", sentence)
                found.append(Statement(name, figure, "gte", growth.group("word")))
                continue
            m = STATEMENT_RE.match(clause)
            if not m or not m.group("name") or re.search(rf"[{DIGIT}]", m.group("name")[-1]):
                previous = ""
                continue
            name = m.group("name").strip()
            verb, bound = m.group("verb") or "", m.group("bound") or ""
            comparison = ("lte" if verb in LTE_WORDS or bound in ("以下", "以内") else
                          "gte" if verb in GTE_WORDS or bound == "以上" else "")
            unit = "%" if m.group("unit") == "％" else m.group("unit")
            figure = Figure(number_value(m.group("number")), clause[m.start("number"):m.end("unit")],
                            unit, sentence)
            found.append(Statement(name, figure, comparison, verb or bound))
            previous = name
    return found
