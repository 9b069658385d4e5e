"""Text as stored: control characters other than tab and line breaks (and the bidirectional
overrides) removed at input.

One vertical tab (Word's Shift+Enter) in a stored text broke every XLSX export; forms and
imports both call :func:`clean_text`, so such text never reaches the database.
"""

from __future__ import annotations

import re

# C0 controls and DEL, except tab, LF and CR (a CRLF line break inside a cell). NUL is kept
# out of this set: callers that must name it as an error (the importer) check it first.
# With them the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
# U+2066–U+2069): a U+202E before "RTL" showed "LTR" on the page and in the PDF, and could
# make a narrative's "%05.99" read as "99.50%" (the trust review).
_CONTROL_RE = re.compile("[\x01-\x08\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\u2028": "\n", "\u2029": "\n"})


def clean_text(text: str) -> str:
    """``text`` with vertical tabs and Unicode line separators as line feeds, other controls gone."""
    if text.isprintable():  # the common case, checked in C
        return text
    return _CONTROL_RE.sub("", text.translate(_LINE_BREAKS))


# "At least a sentence" (docs/design.md, "Consistency checks"): a section the outline
# requires needs this many letters, digits or CJK characters; "无。" or "—" is not a sentence.
MIN_SENTENCE_CHARS = 4
_WORD_RE = re.compile(r"\w")


def is_sentence(text: str | None) -> bool:
    """Whether ``text`` says something: at least MIN_SENTENCE_CHARS word characters."""
    return len(_WORD_RE.findall(text or "")) >= MIN_SENTENCE_CHARS
