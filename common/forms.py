"""Form fields that read input as the importer reads a file's cells (issue 15.12/15.16).

The admin uses them for every decimal and text field (evaluations/admin/mixins.py), so a
figure typed in a form and the same figure in an imported file mean the same or fail alike.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection

from common.codes import code_problem
from common.formatting import amount
from common.numbers import NumberError, exact_digits_for, parse_decimal
from common.text import clean_text


class PlainDecimalField(forms.DecimalField):
    """A decimal read by common.numbers: ``1,234.50`` and ``5.`` read, ``1e5`` and ``１２３`` do not.

    A text input (``inputmode=decimal`` for phones): a browser's number input would drop
    thousands separators before the server saw them.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(
                str(value), places=self.decimal_places if self.decimal_places is not None else 4,
                digits=self.max_digits or 18, negative=True,
                exact_digits=exact_digits_for(connection.vendor),
            )
        except NumberError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    def prepare_value(self, value):
        # Shown as every figure is (common.formatting): "1,925.00", not "1925.0000" beside
        # "1,925.00" in the same row (issue 14.9); read back by common.numbers as typed.
        if isinstance(value, Decimal):
            return amount(value)
        return super().prepare_value(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)  # a number input's attribute; a text input has no use for it
        return attrs


class CleanCharField(forms.CharField):
    """Text without control characters other than tab and line breaks (common.text)."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value) if value else value


class CodeField(forms.SlugField):
    """A code, refused with the importer's message naming what was typed (common.codes), not
    Django's "有效的“字段”" that names neither the field nor the rule in plain words."""

    default_validators = []

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values:
            problem = code_problem(value)
            if problem:
                raise ValidationError(problem, code="invalid")
