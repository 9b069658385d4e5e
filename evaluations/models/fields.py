"""Amount fields in 万元 (four decimal places, never negative) and their named check."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

AMOUNT = {"max_digits": 18, "decimal_places": 4, "validators": [MinValueValidator(Decimal("0"))]}
ZERO = Decimal("0")


def amount_field(verbose_name, **kwargs) -> models.DecimalField:
    """A non-negative amount in 万元."""
    field = models.DecimalField(verbose_name, **AMOUNT, **kwargs)
    field.is_amount = True  # read by amount_names(); not part of the migration state
    return field


def amount_names(model) -> list[str]:
    """The model's amount fields (made by amount_field), in the order they are declared."""
    return [f.name for f in model._meta.concrete_fields if getattr(f, "is_amount", False)]


def non_negative(name: str, fields: list[str]) -> models.CheckConstraint:
    """One named check that every listed amount is empty or at least zero."""
    condition = Q()
    for field in fields:
        condition &= Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0})
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message=_("金额不能为负数。"),
    )
