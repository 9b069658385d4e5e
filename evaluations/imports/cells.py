"""One cell's text read as a value of its column's type: text, codes, years, numbers, choices.

Numbers are read by common/numbers.py, the parser the admin's forms use too; text is
cleaned of control characters by common/text.py, as the forms clean it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from functools import cached_property

from django.db import connections, router
from django.utils import translation
from django.utils.translation import gettext as _

from common.codes import code_problem
from common.formatting import join_names, with_reason
from common.numbers import NumberError, exact_digits_for, parse_decimal, parse_integer
from common.text import clean_text
from evaluations import datasets as ds
from indicators.vocabulary import typed_forms

TRUE_WORDS = {"true", "1", "yes", "y", "是", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "f"}
# 2024-06-30 or 2024/6/30; a spreadsheet's date cell reads "2024-06-30 00:00:00".
DATE_RE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?: 00:00:00)?$")


SEEN_CELLS = 2048  # values remembered per column
REMEMBERED_CHARS = 100  # longer cells are read each time: memory stays flat whatever their length
_UNSEEN = object()


class CellError(ValueError):
    """A cell that cannot be read; the message is shown with its row and column."""


def norm(text: str) -> str:
    """A header or coded value as compared: no BOM, no export quote, no case, no padding."""
    return ds.strip_inert(text.strip().lstrip("\ufeff")).strip().casefold()


# A unit written in brackets after a header (年初预算数（万元）, 分值(分)).
HEADER_UNIT = re.compile(r"^(?P<name>.+?)\s*\((?P<unit>[^()]{1,6})\)$")


def header_name(text: str) -> tuple[str, str]:
    """A header as compared with the columns' keys and labels, and the unit written after it:
    as ``norm`` compares it, its full-width forms as their ASCII (NFKC: （文字） is (文字)), a
    unit in brackets at its end apart ("" when none). The importer takes the unit only where
    it is the column's own (年初预算数（元） would store yuan as 万元)."""
    name = unicodedata.normalize("NFKC", norm(text))
    written = HEADER_UNIT.match(name)
    return (written["name"], written["unit"].strip()) if written else (name, "")


def label_names(label) -> set[str]:
    """A label as read in the current language and in Chinese, normalised."""
    names = {norm(str(label))}
    with translation.override("zh-hans"):
        names.add(norm(str(label)))
    return names | {unicodedata.normalize("NFKC", name) for name in names}


class CellParser:
    """Turns the text of one column's cells into values, with the lookups of labels it needs."""

    def __init__(self, dataset: ds.Dataset, column: ds.Column, sources: dict) -> None:
        self.column = column
        self.max_length: int | None = None
        self.places, self.digits = 4, 18
        vendor = connections[router.db_for_write(dataset.model)].vendor
        self.exact_digits = exact_digits_for(vendor)
        if column.field:
            model_field = dataset.model._meta.get_field(column.field)
            self.max_length = getattr(model_field, "max_length", None)
            if getattr(model_field, "decimal_places", None) is not None:
                self.places, self.digits = model_field.decimal_places, model_field.max_digits
        self.seen: dict[str, object] = {}  # text → value, of the cells read without error
        self.lookup: dict[str, str] = {}
        self.other_kind: set[str] = set()
        self.valid: list[str] = []  # what an unknown code's message offers instead (issue 14.7)
        if column.type in (ds.CHOICE, ds.BOOLEAN):
            self.valid = [with_reason(str(label), code) for code, label in column.choices]
            for code, label in column.choices:
                self.lookup[code.casefold()] = code
                for name in label_names(label):
                    self.lookup[name] = code
            self.lookup.update(typed_forms(code for code, _label in column.choices))
        if column.type == ds.BOOLEAN:
            self.lookup.update({w: "true" for w in TRUE_WORDS})
            self.lookup.update({w: "false" for w in FALSE_WORDS})
        if column.type == ds.FUNDING_SOURCE:
            for source in sources.values():
                names = {source.code.casefold(), norm(source.name)}
                if source.kind == column.source_kind:
                    self.valid.append(with_reason(str(source), source.code))
                    self.lookup.update(dict.fromkeys(names, source.code))
                else:
                    self.other_kind |= names

    def __call__(self, text: str):
        """The cell's value (:attr:`parse`)."""
        return self.parse(text)

    @cached_property
    def parse(self):
        """The cell's value, as a function of its text: a cell seen before in this column is
        read once (codes, years, amounts, names and units recur down a long file), long free
        text each time (it rarely recurs), an error every time. The importer looks in
        :attr:`seen` itself before calling it (importer.Importer.parse_row)."""
        return self.read_once

    def read_once(self, text: str):
        value = self.seen.get(text, _UNSEEN)
        if value is _UNSEEN:
            value = self.read(text)
            if len(text) <= REMEMBERED_CHARS:
                if len(self.seen) >= SEEN_CELLS:
                    self.seen.clear()  # bounded (the same dict: the importer holds it)
                self.seen[text] = value
        return value

    def read(self, text: str):
        kind = self.column.type
        if "\x00" in text:
            # PostgreSQL refuses NUL in text; caught here it is named by row and column.
            raise CellError(_("含有不允许的空字符（NUL）。"))
        if kind == ds.TEXT:
            return self.text(text)
        text = ds.strip_inert(text.strip()).strip()
        if not text:
            if self.column.required:
                raise CellError(_("不能为空。"))
            return None
        if kind == ds.CODE:
            problem = code_problem(text)
            if problem:
                raise CellError(problem)
            if self.max_length and len(text) > self.max_length:
                raise CellError(_("编码过长（%(value)s）。") % {"value": text})
            return text
        if kind == ds.DATE:
            return self.date(text)
        try:
            if kind in (ds.YEAR, ds.INTEGER):
                return self.whole_number(kind, text)
            if kind in (ds.AMOUNT, ds.VALUE, ds.POINTS):
                return parse_decimal(
                    text, places=self.places, digits=self.digits, negative=self.column.negative_allowed,
                    exact_digits=self.exact_digits,
                )
        except NumberError as exc:
            raise CellError(str(exc)) from None
        return self.code(kind, text)

    def text(self, text: str) -> str:
        value = clean_text(ds.strip_inert(text))
        if self.column.required and not value.strip():
            raise CellError(_("不能为空。"))
        if self.max_length and len(value) > self.max_length:
            raise CellError(
                _("不能超过 %(max)s 个字符（现有 %(length)s 个）。")
                % {"max": self.max_length, "length": len(value)}
            )
        return value

    def date(self, text: str) -> datetime.date:
        match = DATE_RE.match(text)
        try:
            if match is None:
                raise ValueError
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise CellError(_("日期无效（%(value)s），应为 2024-06-30 的格式。") % {"value": text}) from None

    def whole_number(self, kind: str, text: str) -> int:
        number = parse_integer(text)
        if kind == ds.YEAR and not 1900 <= number <= 2999:
            raise CellError(_("年度无效（%(value)s）。") % {"value": text})
        if kind == ds.INTEGER and not 0 <= number <= 2_147_483_647:
            raise CellError(_("序号无效（%(value)s）。") % {"value": text})
        return number

    def code(self, kind: str, text: str):
        code = self.lookup.get(norm(text))
        if code is None:
            if kind == ds.FUNDING_SOURCE and norm(text) in self.other_kind:
                raise CellError(_("“%(value)s”不能用于此列。") % {"value": text})
            raise CellError(_("未知的代码“%(value)s”，可填：%(valid)s。") % {
                "value": text, "valid": join_names(self.valid)})
        if kind == ds.BOOLEAN:
            return code == "true"
        return code
