"""One vocabulary of codes and labels: the stored choices, the scoring rules' codes and the
grade labels agree, and every caller reads the labels from indicators/vocabulary.py."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from evaluations import datasets
from evaluations.templatetags.public import grade_label as public_grade_label
from indicators import scoring, vocabulary
from indicators.models import Indicator


def test_scoring_spells_the_vocabularys_codes():
    assert scoring.NATURES == tuple(vocabulary.Nature.values)
    assert scoring.TIERS == tuple(vocabulary.Tier.values)
    assert scoring.LEVEL1_CODES == tuple(vocabulary.Level1.values)
    grades = {scoring.grade(Decimal(total)) for total in (95, 85, 65, 10)}
    assert grades == set(vocabulary.Grade.values)


def test_model_fields_and_datasets_use_the_vocabulary():
    for name, choices in (("level1", vocabulary.Level1), ("level2", vocabulary.Level2),
                          ("nature", vocabulary.Nature), ("tier", vocabulary.Tier)):
        assert Indicator._meta.get_field(name).choices == choices.choices
        assert datasets.INDICATORS.column(name).choices == tuple(
            (value, label) for value, label in choices.choices
        )
    assert datasets.REPORTS.column("grade").choices == tuple(vocabulary.Grade.choices)


def test_grade_label_in_each_language():
    assert vocabulary.grade_label("excellent") == "优"
    assert vocabulary.grade_label(None) == "" and vocabulary.grade_label("", "—") == "—"
    assert public_grade_label("poor") == "差"
    with translation.override("en"):
        assert public_grade_label("good") == "Good"
