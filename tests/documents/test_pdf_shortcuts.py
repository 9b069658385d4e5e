"""report.pdf's shortcuts through WeasyPrint (documents/pdf_shortcuts.py): line breaks and the
faces' bytes kept per process change no byte of the PDF."""

from __future__ import annotations

import pytest

from evaluations.documents import pdf_shortcuts
from evaluations.documents.content import article, load_report
from evaluations.documents.pdf import build_pdf
from tests.documents.helpers import needs_poppler, pdf_pages

pytestmark = [pytest.mark.django_db, needs_poppler]


@pytest.fixture
def sample_article(sample_report):
    return article(load_report(sample_report.pk))


def test_the_pdf_is_the_same_byte_for_byte_with_and_without_them(sample_article):
    first = build_pdf(sample_article)  # installs them, keeps what it found
    assert pdf_shortcuts.install(), "the installed WeasyPrint is one the shortcuts were read for"
    again = build_pdf(sample_article)  # every line break and face found kept
    with pdf_shortcuts.suspended():
        plain = build_pdf(sample_article)
    assert first == again == plain


def test_the_line_breaks_kept_are_bounded(sample_article, monkeypatch, tmp_path):
    build_pdf(sample_article)
    with pdf_shortcuts.suspended():
        plain = build_pdf(sample_article)
    monkeypatch.setattr(pdf_shortcuts, "TEXT_CACHE_SIZE", 40)
    pdf_shortcuts.line_breaks.clear()
    bounded = build_pdf(sample_article)
    assert 0 < len(pdf_shortcuts.line_breaks) <= 40
    assert bounded == plain
    assert len(pdf_shortcuts.line_breaks) <= 40
    assert "一般公共预算项目支出明细" in "".join(pdf_pages(bounded, tmp_path))


def test_each_face_is_copied_once_a_process(sample_article):
    build_pdf(sample_article)
    kept = dict(pdf_shortcuts.faces)
    assert kept, "the embedded faces are kept"
    assert len(kept) <= pdf_shortcuts.FACES_KEPT
    for content, _ in kept.values():
        assert len(content) >= pdf_shortcuts.FACE_MIN_BYTES
    build_pdf(sample_article)
    assert {key: value[0] for key, value in pdf_shortcuts.faces.items()} == {
        key: value[0] for key, value in kept.items()}
    # The same bytes objects given again, not new copies of them.
    assert all(pdf_shortcuts.faces[key][0] is kept[key][0] for key in kept)


def test_a_written_pdf_leaves_no_cycles_for_the_collector(sample_article):
    """The document is freed as soon as its PDF is written, not by the cyclic collector
    walking it after each report of an export."""
    import gc

    build_pdf(sample_article)

    def unreachable_after_a_pdf() -> int:
        gc.collect()
        gc.disable()
        try:
            build_pdf(sample_article)
            return gc.collect()
        finally:
            gc.enable()

    with pdf_shortcuts.suspended():
        plain = unreachable_after_a_pdf()
    ours = unreachable_after_a_pdf()
    assert plain > 20_000  # the document, styles and boxes
    assert ours < plain / 10
    assert pdf_shortcuts._contexts == []
