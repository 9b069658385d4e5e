"""Figures in the admin's read-only cells and change lists, as ``common.formatting`` writes them.

docs/design.md ("Domain model"): every figure in the admin's inputs and read-only cells alike
reads ``1,925.00``. The inputs format themselves (``common.forms.PlainDecimalField``); Django
shows every other decimal, a locked report's inline cell, a published project's form, a
change list's column, through ``django.contrib.admin.utils.display_for_field``, which wrote
the stored ``8811.5799`` and ``767.0000``. ``install`` puts ``display_for_field`` below in its
place for the two modules that render those cells (the form's read-only fields and the
change list's rows), once, when the admin package loads; the import preview's before → after
values go through ``figure`` too.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.admin import helpers, utils
from django.contrib.admin.templatetags import admin_list
from django.db import models

from common.formatting import amount

_django_display_for_field = utils.display_for_field


def figure(value) -> str:
    """A value as the admin shows it: a Decimal as an amount, anything else as its text."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return amount(value)
    return str(value)


def display_for_field(value, field, empty_value_display, avoid_link=False):
    """Django's read-only display of a model field's value, but a decimal reads as a figure."""
    if (
        isinstance(field, models.DecimalField)
        and not getattr(field, "flatchoices", None)
        and isinstance(value, (Decimal, int))  # what the database gives; else Django's own
        and not isinstance(value, bool)
    ):
        return figure(Decimal(value))
    return _django_display_for_field(value, field, empty_value_display, avoid_link)


def install() -> None:
    """Render the admin's read-only fields and change-list cells with ``display_for_field``."""
    helpers.display_for_field = display_for_field
    admin_list.display_for_field = display_for_field
