"""The home page's search: which published reports a query finds, and a snippet of where each
mentions it (issue 14.12).

A query is split into words (spaces, and a year written into a word: "2022年度第1商务局" is
2022 and 第1商务局); a report is found when it mentions every word — in its department's
name or code, its own sections, a project's or a 绩效情况 paragraph's text, or its title as
shown (Report.display_title, built in SQL from the same DEFAULT_TITLE), a year its 年度 too.

The snippet is cut from the text that matched — the report's own sections, else a project's
or a 绩效情况 paragraph, fetched for all results in two queries — and every piece of it is
escaped before the matches are wrapped in ``<mark>``: user text is never marked safe as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from evaluations.models import OutcomeNarrative, Project, Report
from evaluations.models.report import DEFAULT_TITLE

REPORT_FIELDS = ("title", "profile", "goals", "overall_summary", "problems", "improvements",
                 "result_application", "other_matters")
CONTEXT = 36  # characters shown either side of the first match
MAX_WORDS = 6  # words of a query searched for; the rest are ignored
# A year inside a word, with its 年 or 年度: "2022年度第1商务局" → 2022, 第1商务局.
YEAR_IN_WORD = re.compile(r"(?<!\d)((?:19|2\d)\d{2})(?:年度|年)?(?!\d)")


@dataclass
class Result:
    report: Report
    snippet: SafeString


def words(query: str) -> list[str]:
    """The query's words, years split out, each once, at most MAX_WORDS."""
    found: list[str] = []
    for word in query.split():
        found += YEAR_IN_WORD.sub(lambda m: f" {m.group(1)} ", word).split()
    return list(dict.fromkeys(found))[:MAX_WORDS]


def _shown_title() -> Case:
    """Report.display_title in SQL: the title written, else DEFAULT_TITLE with the report's
    year and department filled in (in the active language, as the page shows it)."""
    filled = {"%(year)s": Cast("fiscal_year__year", CharField()), "%(department)s": F("department__name")}
    parts = [filled.get(piece) or Value(piece)
             for piece in re.split(r"(%\(\w+\)s)", str(DEFAULT_TITLE)) if piece]
    return Case(When(title="", then=Concat(*parts, output_field=CharField())),
                default=F("title"), output_field=CharField())


def _project_mentions(word: str) -> Q:
    """A project's texts that mention ``word`` (the search and its snippets)."""
    return Q(name__icontains=word) | Q(outcome__icontains=word) | Q(goal__icontains=word)


def _narrative_mentions(word: str) -> Q:
    """A 绩效情况 paragraph's texts that mention ``word``."""
    return Q(headline__icontains=word) | Q(body__icontains=word)


def _mentions(word: str) -> Q:
    """Reports that mention ``word`` anywhere the search looks (their title as shown is
    ``shown_title``, annotated by :func:`matching`)."""
    found = Q(shown_title__icontains=word)  # the title written, or the one shown for it
    for name in ("department__name", "department__short_name", "department__code", *REPORT_FIELDS):
        if name != "title":
            found |= Q(**{f"{name}__icontains": word})
    projects = Project.objects.filter(_project_mentions(word), report=OuterRef("pk"))
    narratives = OutcomeNarrative.objects.filter(_narrative_mentions(word), report=OuterRef("pk"))
    found |= Q(Exists(projects)) | Q(Exists(narratives))
    if YEAR_IN_WORD.fullmatch(word):
        found |= Q(fiscal_year__year=int(word))
    return found


def matching(reports: QuerySet[Report], query: str) -> QuerySet[Report]:
    """Those of ``reports`` that mention every word of ``query``."""
    reports = reports.annotate(shown_title=_shown_title())
    for word in words(query):
        reports = reports.filter(_mentions(word))
    return reports


def highlight(text: str, query: str, *, context: int = CONTEXT) -> SafeString:
    """The part of ``text`` around the first ``query`` (any case), escaped, matches marked."""
    folded, needle = text.casefold(), query.casefold()
    at = folded.find(needle)
    if not needle or at < 0:
        return SafeString("")
    start, end = max(0, at - context), min(len(text), at + len(query) + context)
    piece, folded_piece = text[start:end], folded[start:end]
    out, i = [], 0
    while (j := folded_piece.find(needle, i)) >= 0:
        out.append(escape(piece[i:j]))
        out.append(f"<mark>{escape(piece[j:j + len(query)])}</mark>")
        i = j + len(query)
    out.append(escape(piece[i:]))
    prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 (every piece escaped above)


def _first_match(texts, query: str) -> SafeString:
    for text in texts:
        if text and query.casefold() in text.casefold():
            return highlight(" ".join(text.split()), query)
    return SafeString("")


def with_snippets(reports: list[Report], query: str) -> list[Result]:
    """Each report with the snippet of its first mention of the query's longest word (the
    most telling), in two more queries."""
    ids = [r.pk for r in reports]
    word = max(words(query), key=len, default="")
    elsewhere: dict[int, list[str]] = {}
    projects = Project.objects.filter(_project_mentions(word), report__in=ids).order_by(
        "position", "pk").values_list("report_id", "name", "outcome", "goal")
    narratives = OutcomeNarrative.objects.filter(_narrative_mentions(word), report__in=ids).order_by(
        "position").values_list("report_id", "headline", "body")
    for report_id, *texts in [*projects, *narratives]:
        elsewhere.setdefault(report_id, []).extend(texts)
    results = []
    for report in reports:
        texts = [getattr(report, name) for name in REPORT_FIELDS]
        texts += [report.department.name, *elsewhere.get(report.pk, [])]
        results.append(Result(report, _first_match(texts, word) if word else SafeString("")))
    return results
