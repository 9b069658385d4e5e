"""report.pdf: the report page's article through a print template, typeset by WeasyPrint.

The same content and typography as the Word file (docs/design.md, "Official documents"):
A4, GB/T 9704 margins, Noto Serif CJK (a 宋/仿宋-style face) for the body and title and Noto
Sans CJK (黑体-style) for 一级 headings, both embedded from Debian's fonts-noto-cjk; a cover
line with 发布机构, 发布日期, 索引号 and 版本; page numbers "— N —"; tables kept whole where they
fit a page. No navigation and no links: the only address printed is the page's own, and only
when ``SITE_URL`` says what it is.
"""

from __future__ import annotations

import atexit
import functools
import threading
from pathlib import Path
from xml.etree import ElementTree

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from lxml import html

from evaluations.documents import pdf_shortcuts
from evaluations.documents.content import Article


def print_html(article: Article) -> str:
    report = article.report
    page_url = ""
    if settings.SITE_URL and not article.draft:
        page_url = settings.SITE_URL + (article.path or report.get_absolute_url())
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("documents/report_print.html", {
            "title": article.title,
            "meta": article.meta,
            # The page template escaped every user text; lxml re-serialised that tree.
            "body": mark_safe(article.body_html),  # noqa: S308
            "draft": article.draft,
            "page_url": page_url,
        })


FONT_DIRECTORIES = ("file:///usr/share/fonts/", "file:///usr/local/share/fonts/")
STYLESHEET = Path(__file__).with_name("report.css")
# WeasyPrint's font configuration is not safe to share between threads (the page warm-up
# thread may publish while a request downloads): one PDF at a time per process.
_rendering = threading.Lock()


def build_pdf(article: Article) -> bytes:
    return _written(print_html(article))


def _written(markup: str) -> bytes:
    """The PDF of ``markup`` under the print stylesheet, its document freed once written."""
    stylesheet, fonts, fetcher = _prepared()
    document = _parsed_html_class()(markup, fetcher)
    with _rendering:
        try:
            # Tagged (headings, paragraphs, tables as a screen reader walks them: GB/T 37668):
            # a fifth more bytes, the time within the noise of a generated report's 23 pages.
            return document.write_pdf(stylesheets=[stylesheet], font_config=fonts, pdf_tags=True)
        finally:
            pdf_shortcuts.release()


def warm_up() -> None:
    """Load the stylesheet and the faces and typeset a line in each (what a first PDF does),
    so that processes forked after this share them (export_worker.py): each worker had
    written its own copies of the cut faces and loaded them into Pango and HarfBuzz."""
    _written('<!doctype html><html lang="zh-Hans"><body><h1>绩效</h1><h2>绩效</h2>'
             '<table><caption>绩效</caption><tr><th>绩效</th></tr></table></body></html>')


@functools.cache
def _prepared():
    """The stylesheet and its fonts, loaded once per process (loading them took ~2 s a PDF),
    the Noto CJK faces cut to GB 2312 (fonts.py: a third of the memory a PDF took)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from evaluations.documents import fonts as cut_fonts

    pdf_shortcuts.install()
    css = cut_fonts.with_subsets(STYLESHEET.read_text(encoding="utf-8"))
    fonts, fetcher = FontConfiguration(), _fonts_only(cut_fonts.directory().as_uri() + "/")
    stylesheet = CSS(string=css, font_config=fonts, url_fetcher=fetcher)
    # Released before the interpreter tears down the modules its __del__ needs.
    atexit.register(_prepared.cache_clear)
    return stylesheet, fonts, fetcher


@functools.cache
def _parsed_html_class():
    """WeasyPrint's ``HTML`` on markup parsed by lxml (libxml2, in C) instead of its own
    pure-Python HTML5 parser, which took a tenth of a PDF's time. The print template's markup
    is the page article lxml itself wrote (content.py), so both parsers read it alike; the
    PDFs of the sample and of generated reports are byte for byte the same either way.
    ``__init__`` does what ``HTML.__init__`` (WeasyPrint 68–70) does after parsing."""
    import cssselect2
    from weasyprint import HTML

    class ParsedHTML(HTML):
        def __init__(self, markup: str, url_fetcher):
            root = _element_tree(html.document_fromstring(markup))
            self.base_url = None  # no <base>, no base_url: nothing relative is loaded
            self.url_fetcher = url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
            self.etree_element = self.wrapper_element.etree_element

    return ParsedHTML


def _element_tree(source) -> ElementTree.Element:
    """An lxml tree as the standard library's ElementTree, which WeasyPrint walks; comments
    are left out, their tails kept."""
    target = ElementTree.Element(source.tag, dict(source.attrib))
    target.text = source.text
    last = None
    for child in source:
        if isinstance(child.tag, str):
            last = _element_tree(child)
            target.append(last)
            last.tail = child.tail
        elif child.tail:
            if last is None:
                target.text = (target.text or "") + child.tail
            else:
                last.tail = (last.tail or "") + child.tail
    return target


def _fonts_only(cut_fonts: str):
    """A fetcher for the system's fonts (local() resolves to fontconfig's file:// path) and
    the faces cut from them (fonts.py) alone: the document loads nothing else, whatever its
    text says."""
    from weasyprint.urls import URLFetcher

    allowed = (*FONT_DIRECTORIES, cut_fonts)

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(allowed) or ".." in url:
                raise ValueError(f"the PDF report loads no resources ({url[:60]})")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols=("file",))
