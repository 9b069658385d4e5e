"""Reading the official files back with real readers: python-docx, poppler, openpyxl."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)
PAGE_NUMBER = re.compile(r"^\s*(?:草稿\s*)?—\s*(\d+)\s*—\s*$")


def docx_blocks(content: bytes) -> list[Paragraph | Table]:
    """The body's paragraphs and tables in document order."""
    document = Document(io.BytesIO(content))
    blocks = []
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            blocks.append(Paragraph(child, document))
        elif child.tag.endswith("}tbl"):
            blocks.append(Table(child, document))
    return blocks


def docx_text(content: bytes) -> str:
    lines = []
    for block in docx_blocks(content):
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            for row in block.rows:
                lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def pdf_pages(content: bytes, tmp_path: Path) -> list[str]:
    """Each page's text (pdftotext), in reading order."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def pdf_body(pages: list[str]) -> str:
    """The pages' text without their page-number lines."""
    return "\n".join(
        "\n".join(line for line in page.splitlines() if not PAGE_NUMBER.match(line))
        for page in pages
    )
