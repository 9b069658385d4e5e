"""report.pdf's Noto CJK faces cut to GB 2312 (documents/fonts.py): made once, loaded first,
the whole face still printing what GB 2312 lacks; the stylesheet unchanged when they cannot be."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from evaluations.documents import fonts, pdf

needs_fonts = pytest.mark.skipif(
    shutil.which("fc-match") is None or shutil.which("pdffonts") is None
    or subprocess.run(["fc-match", "-f", "%{postscriptname}", ":postscriptname=NotoSerifCJKsc-Regular"],
                      capture_output=True, text=True).stdout != "NotoSerifCJKsc-Regular",
    reason="fontconfig, poppler-utils or fonts-noto-cjk is missing",
)


@pytest.fixture
def font_dir(settings, tmp_path):
    settings.DOCUMENT_FONT_DIR = str(tmp_path / "fonts")
    pdf._prepared.cache_clear()
    yield tmp_path / "fonts"
    pdf._prepared.cache_clear()


@needs_fonts
def test_the_subset_rules_load_a_cut_face_first(font_dir):
    css = fonts.with_subsets(pdf.STYLESHEET.read_text(encoding="utf-8"))
    made = sorted(font_dir.iterdir())
    assert [p.name.rsplit("-", 1)[0] for p in made] == [
        "NotoSansCJKsc-Regular", "NotoSerifCJKsc-Bold", "NotoSerifCJKsc-Regular"]
    assert all(1_000_000 < p.stat().st_size < 8_000_000 for p in made)  # the .ttc are 19–27 MB
    for path in made:
        assert f'url("{path.as_uri()}"), local("' in css
    # The "… Full" twins keep the whole face.
    assert '@font-face { font-family: "Report Serif Full"; src: local("NotoSerifCJKsc-Regular"); }' in css
    stamps = [p.stat().st_mtime_ns for p in made]
    fonts.with_subsets(pdf.STYLESHEET.read_text(encoding="utf-8"))
    assert [p.stat().st_mtime_ns for p in sorted(font_dir.iterdir())] == stamps  # made once


@needs_fonts
def test_a_character_outside_gb2312_prints_from_the_whole_face(font_dir, tmp_path):
    from weasyprint import HTML

    stylesheet, config, fetcher = pdf._prepared()
    document = HTML(string="<p>董家塅</p>", url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], font_config=config)
    path = tmp_path / "t.pdf"
    path.write_bytes(document)
    listed = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "Report-Serif " in listed and "Report-Serif-Full " in listed  # 董家 cut, 塅 whole
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "董家塅" in text


def test_without_fontconfig_the_stylesheet_is_unchanged(font_dir, monkeypatch):
    def missing(name):
        raise OSError("no fc-match")

    monkeypatch.setattr(fonts, "_locate", missing)
    css = pdf.STYLESHEET.read_text(encoding="utf-8")
    assert fonts.with_subsets(css) == css
    assert not font_dir.exists()
