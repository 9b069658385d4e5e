"""The report's content for its documents: the public page's own article, rendered once.

The Word and PDF files are not a second copy of the report's sentences (docs/design.md,
"Official documents"): the public page's template renders the report page's view-model
(``public.views.report_context``) and the documents take its ``<article>``, without what
only a screen needs (navigation, the table of contents, data links, screen-reader captions).
Whatever the page says, the documents say, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from lxml import etree, html

from common.text import clean_text
from evaluations.models import Report

# Screen-only parts of the page's article: the same the print stylesheet hides, the page
# address (printed by the PDF only when SITE_URL is set), the revision table, the page's
# links to data and to these very files, and captions written for screen readers only.
SCREEN_ONLY = (
    "nav", "toc", "breadcrumbs", "page-url", "revision-history", "data-links", "documents",
    "visually-hidden", "print-hidden",
)


@dataclass
class Article:
    """The report as the documents show it."""

    report: Report
    title: str
    meta: list[tuple[str, str]]  # the cover line: 发布机构, 发布日期, 索引号, (文号,) 版本
    element: html.HtmlElement  # the article without its header and screen-only parts
    draft: bool
    context: dict  # the report page's view-model, for the 自评表 workbook
    path: str = ""  # the page's own address (printed when SITE_URL is set); the report's if ""

    @property
    def body_html(self) -> str:
        """The article's sections as HTML; escaped by the page's template, re-serialised."""
        return "".join(
            etree.tostring(child, encoding="unicode", method="html") for child in self.element
        )


def report_context(report: Report) -> dict:
    """The report page's view-model for ``report`` (fetched through ``with_report_rows``)."""
    from evaluations.public.views import report_context as page_context

    return page_context(report)


def load_report(pk: int) -> Report:
    from evaluations.public.views import with_report_rows

    return with_report_rows(Report.objects.all()).get(pk=pk)


def article(report: Report, context: dict | None = None) -> Article:
    """Render the public page's article for ``report`` in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        context = context if context is not None else report_context(report)
    element, meta = page_article("evaluations/report.html", context)
    return Article(
        report=report, title=str(report.display_title), meta=meta, element=element,
        draft=report.status != Report.Status.PUBLISHED, context=context,
    )


def targets_article(report: Report) -> Article:
    """The approved 绩效目标表 page's article (``public.targets``): targets.docx and .pdf.
    ``report`` comes from ``public.targets.approved_targets``: only approved targets."""
    from evaluations.public.targets import targets_context

    path = reverse("evaluations:targets", args=[report.fiscal_year.year, report.department.code])
    with translation.override(settings.LANGUAGE_CODE):
        context = targets_context(report, settings.SITE_URL + path if settings.SITE_URL else "")
        title = gettext("%(year)s年度%(department)s绩效目标表") % {
            "year": report.fiscal_year.year, "department": report.department.name}
    element, meta = page_article("evaluations/targets.html", context)
    return Article(report=report, title=title, meta=meta, element=element, draft=False,
                   context=context, path=path)


def page_article(template: str, context: dict) -> tuple[html.HtmlElement, list[tuple[str, str]]]:
    """A public page's ``<article>`` without its header and screen-only parts, and the
    header's metadata; the header's lead paragraphs (``p.lead``) stay, at the top."""
    with translation.override(settings.LANGUAGE_CODE):
        markup = render_to_string(template, {**context, "LANGUAGE_CODE": translation.get_language()})
    # Control characters cannot live in XML (docx, xlsx) and mean nothing on paper; the
    # forms and imports already refuse them (common/text.py), this keeps old rows printable.
    root = html.document_fromstring(clean_text(markup))
    found = root.xpath("//article")
    if not found:
        raise ValueError(f"{template} has no <article>")
    element = found[0]
    for node in element.xpath(" | ".join(_class_or_tag(name) for name in SCREEN_ONLY)):
        node.drop_tree()
    meta = _meta(element)
    for header in element.xpath("./header"):
        for position, lead in enumerate(header.xpath(_class_or_tag("lead"))):
            element.insert(position, lead)
        header.drop_tree()
    return element, meta


def _class_or_tag(name: str) -> str:
    if name == "nav":
        return ".//nav"
    return f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


def _meta(element: html.HtmlElement) -> list[tuple[str, str]]:
    """The page header's metadata (dl.meta) as label and value pairs."""
    pairs = []
    for dt in element.xpath(".//header//dl[contains(@class, 'meta')]//dt"):
        dd = dt.getnext()
        while dd is not None and dd.tag != "dd":
            dd = dd.getnext()
        value = " ".join((dd.text_content() if dd is not None else "").split())
        pairs.append((" ".join(dt.text_content().split()), value or "—"))
    return pairs
