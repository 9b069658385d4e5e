"""common.instances: model instances made in bulk are the ones Django would make."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import signals

from common.instances import Blank, loaded, set_as_stored
from evaluations.models import Project
from indicators.models import Indicator
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "code", "report_id", "initial_budget")


def _fields(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def _made(queryset):
    return list(loaded(Project, COLUMNS, queryset.values_list(*COLUMNS), queryset.db))


def test_loaded_is_what_only_gives():
    ProjectFactory(code="P-1", initial_budget=Decimal("12.50"))
    ProjectFactory(code="P-2", initial_budget=None)
    queryset = Project.objects.order_by("id")
    made = _made(queryset)
    django = list(queryset.only(*COLUMNS))
    assert [_fields(p) for p in made] == [_fields(p) for p in django]
    assert [p.get_deferred_fields() for p in made] == [p.get_deferred_fields() for p in django]
    assert "name" in made[0].get_deferred_fields()
    assert all(not p._state.adding and p._state.db == "default" for p in made)
    # A deferred field is read on access, as Django's own instance reads it.
    assert made[0].name == django[0].name
    assert made[0] == django[0] and made[0].report_id == django[0].report_id


def test_loaded_goes_through_django_for_a_model_with_an_init_receiver():
    ProjectFactory(code="P-1")
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Project)
    try:
        made = _made(Project.objects.all())
    finally:
        signals.post_init.disconnect(receiver, sender=Project)
    assert seen == made and made[0].code == "P-1"
    assert "name" in made[0].get_deferred_fields() and not made[0]._state.adding


def test_blank_is_what_the_constructor_gives():
    blank = Blank(Indicator)
    assert blank.fast
    made = blank(report_id=7, project_id=None, name="完成率")
    django = Indicator(report_id=7, project_id=None, name="完成率")
    assert _fields(made) == _fields(django)
    assert made._state.adding and made._state.db is None
    # Each instance is its own: a value set on one is not on the next.
    made.weight = Decimal("10")
    assert blank().weight is None


def test_blank_goes_through_django_for_a_model_with_an_init_receiver():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Indicator)
    try:
        blank = Blank(Indicator)
        made = blank(report_id=7)
    finally:
        signals.post_init.disconnect(receiver, sender=Indicator)
    assert not blank.fast and seen == [made] and made.report_id == 7


def test_set_as_stored_names_the_fields_a_dict_update_sets_alike():
    plain = set_as_stored(Indicator)
    assert {"name", "weight", "position", "final_score", "id"} <= plain
    # A foreign key's attname goes through its descriptor (it forgets the cached object).
    assert not {"report_id", "project_id", "report", "project"} & plain
    indicator = Indicator(name="甲")
    indicator.__dict__.update({"name": "乙", "weight": Decimal("5")})
    assert (indicator.name, indicator.weight) == ("乙", Decimal("5"))
