"""Helpers for the public-page tests: page text, numbers normalised, growing data."""

from __future__ import annotations

import html
import re
from decimal import Decimal

from evaluations.models import Report
from tests.factories import (
    BudgetExecutionFactory,
    DepartmentFactory,
    FiscalYearFactory,
    IndicatorFactory,
    OutcomeNarrativeFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
)

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
# Heading numbers of the seed, including its typos: 一、 （一） （2） (一） and list numbers 1. 1、
LEADING_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、])\s*")


def seed_paragraphs() -> list[str]:
    """The seed's paragraphs, numbers and final 。 removed, normalised."""
    from evaluations.sample import SAMPLE_TEXT

    text = SAMPLE_TEXT.read_text(encoding="utf-8").replace("[bookmark: _GoBack]", "")
    paragraphs = []
    for line in text.splitlines():
        line = LEADING_NUMBER.sub("", line.strip())
        # The seed ends one list item of 二（二） with 。 and the others without.
        line = line.rstrip("。")
        if line:
            paragraphs.append(normalise(line))
    return paragraphs


def assert_seed_in_order(text: str) -> None:
    """Every paragraph and figure of the seed is in ``text``, in order: the public page's
    fidelity check, which the report's Word and PDF files pass as well."""
    page = normalise(text)
    position = 0
    paragraphs = seed_paragraphs()
    assert len(paragraphs) >= 40
    for paragraph in paragraphs:
        found = page.find(paragraph, position)
        assert found >= 0, f"missing or out of order: {paragraph[:60]}"
        position = found + len(paragraph)

    # Every figure, in order (the page's tables add figures between them, never fewer).
    page_numbers = iter(numbers(page))
    for figure in numbers("".join(paragraphs)):
        assert any(n == figure for n in page_numbers), f"figure {figure} missing or out of order"
    assert "bookmark" not in page


def page_text(
    content: bytes, *, start: str = "<article", end: str = "</article>", sep: str = ""
) -> str:
    """The visible text of the page between two markers, tags removed."""
    markup = content.decode()
    if start in markup:
        markup = markup[markup.index(start): markup.rindex(end) if end in markup else None]
    # Navigation (breadcrumbs, table of contents) repeats headings out of reading order.
    markup = re.sub(r"<nav\b.*?</nav>", "", markup, flags=re.S)
    text = re.sub(r"<[^>]+>", sep, markup)
    return html.unescape(text)


def normalise(text: str) -> str:
    """Whitespace removed and every number written one way (1,400.26 and 1400.260 alike)."""
    text = re.sub(r"\s+", "", text)

    def number(match: re.Match) -> str:
        value = Decimal(match.group(0).replace(",", ""))
        return format(value.normalize(), "f")

    return NUMBER.sub(number, text)


def numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


def published_report(*, year: int = 2023, department=None, **kwargs) -> Report:
    from django.utils import timezone

    return ReportFactory(
        fiscal_year=FiscalYearFactory(year=year),
        department=department or DepartmentFactory(),
        status=Report.Status.PUBLISHED,
        published_at=timezone.now(),
        **kwargs,
    )


def grow_report(report: Report, n: int) -> None:
    """Add n projects (each with funds and indicators), n narratives and n department indicators."""
    if not report.budget_executions.exists():
        BudgetExecutionFactory(report=report)
    start = report.projects.count()
    for i in range(start, start + n):
        project = ProjectFactory(report=report, position=i + 1, code=f"p-{report.pk}-{i}")
        ProjectFundFactory(project=project)
        IndicatorFactory(report=report, project=project, position=1, weight=Decimal("45"))
        IndicatorFactory(report=report, project=project, position=2, weight=Decimal("45"))
        OutcomeNarrativeFactory(report=report, position=i + 1)
        IndicatorFactory(report=report, position=i + 1, weight=None)


_compiled = False


def compile_messages() -> None:
    """Compile the .po catalogues once per test session, where gettext's msgfmt exists.

    The compiled .mo is committed too, so a machine without gettext tests what is in git.
    """
    global _compiled
    if _compiled:
        return
    import shutil

    if shutil.which("msgfmt") is None:
        _compiled = True
        return
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compilemessages", ignore=[".venv"], verbosity=0)
    # Catalogues already loaded in this process were read before the .mo existed.
    trans_real._translations = {}
    trans_real._default = None
    _compiled = True
