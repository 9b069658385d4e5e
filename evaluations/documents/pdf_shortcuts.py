"""report.pdf: WeasyPrint spared work it has already done or need not do (pdf.py installs this).

- **Line breaks.** A generated report's PDF spent most of its time in WeasyPrint's layout,
  and a fifth of that breaking text into lines with Pango. The same text in the same font at
  the same width (一级/二级 indicator names, 未完成, the same deviation sentence in every
  row, the same headings in every report) was broken again each time. The first line of a
  text depends only on the text, the style properties ``split_first_line``, its ``Layout``
  and the fonts read, the width and the flags passed: the result is kept, per process,
  bounded (``TEXT_CACHE_SIZE``); each box gets its own copy of the (deactivated, Pango-free)
  layout, as before. Hyphenation dictionaries (``hyphens: auto``) are left out.
- **The faces' bytes.** For each PDF WeasyPrint copied each face it embeds, whole, into
  memory before cutting it to the glyphs used (the three cut faces: ~13 MB a PDF, at the
  moment two export processes peak together). The copy of a face is kept per process, with a
  reference to the face's data so that its address names it alone; made in the
  exporting process before it forks (export_worker.py), its pages are shared.

- **The document's cycles.** A written PDF's whole document (styles, cascaded declarations,
  boxes: ~135,000 objects for a generated report) stayed alive through a few reference
  cycles until the cyclic collector walked it all (0.15-0.19 CPU s a report, after each
  report of an export). ``release()``, called by pdf.build_pdf once the PDF is written,
  breaks those cycles, and reference counting frees the document at once.

None changes a box, a glyph or a byte: the PDFs are the same (tests/documents/test_pdf_shortcuts.py).
All are installed only on the WeasyPrint versions whose internals were read for them
(``SUPPORTED``); on another version WeasyPrint runs unchanged.
"""

from __future__ import annotations

import atexit
import functools
import logging
from contextlib import contextmanager

logger = logging.getLogger(__name__)

SUPPORTED = ("70.",)  # weasyprint.__version__ prefixes read for this module
TEXT_CACHE_SIZE = 10_000  # line breaks kept a process (~2,500 asked a generated report, ~85 % found)

# The style properties ``split_first_line``, its ``Layout`` and the fonts read
# (weasyprint/text/line_break.py and fonts.py, version 70).
_TEXT_PROPERTIES = (
    "font_family", "font_style", "font_stretch", "font_weight", "font_size", "font_kerning",
    "font_variant_ligatures", "font_variant_position", "font_variant_caps",
    "font_variant_numeric", "font_variant_alternates", "font_variant_east_asian",
    "font_feature_settings", "font_variation_settings", "font_language_override", "lang",
    "direction", "line_height", "white_space", "tab_size", "letter_spacing", "word_spacing",
    "overflow_wrap", "word_break", "hyphens", "hyphenate_character", "hyphenate_limit_zone",
    "hyphenate_limit_chars", "text_decoration_line",
)


# What this process keeps (read by the tests).
line_breaks: dict = {}  # split_first_line's arguments -> its result
faces: dict = {}  # (address, size) of a face's data -> (its bytes, a reference to the face)
_replaced: list[tuple[object, str, object, object]] = []  # (module, name, WeasyPrint's, ours)


@functools.cache
def install() -> bool:
    """Patch WeasyPrint once a process; False (and nothing patched) on another version."""
    import weasyprint

    if not weasyprint.__version__.startswith(SUPPORTED):
        logger.info("report.pdf: WeasyPrint %s, its shortcuts not installed", weasyprint.__version__)
        return False
    _install_line_break_cache()
    _install_face_copies()
    _install_release()
    # Let go before the interpreter tears down the modules FontConfiguration.__del__ needs
    # (the line breaks' keys hold the font configuration).
    atexit.register(forget)
    return True


def forget() -> None:
    """Drop what this process keeps."""
    line_breaks.clear()
    forget_faces()


def forget_faces() -> None:
    if faces:
        from weasyprint.text.ffi import harfbuzz

        for _, reference in faces.values():
            harfbuzz.hb_face_destroy(reference)
        faces.clear()


def _replace(module, name: str, ours) -> None:
    _replaced.append((module, name, getattr(module, name), ours))
    setattr(module, name, ours)


@contextmanager
def suspended():
    """WeasyPrint as it is, for a while (the tests compare the PDFs it makes)."""
    for module, name, theirs, _ in _replaced:
        setattr(module, name, theirs)
    try:
        yield
    finally:
        for module, name, _, ours in _replaced:
            setattr(module, name, ours)


# Line breaks ---------------------------------------------------------------------------------

def _install_line_break_cache() -> None:
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    split = line_break.split_first_line
    kept = line_breaks

    def split_first_line(text, style, context, max_width, justification_spacing,
                         is_line_start=True, minimum=False):
        if style["hyphens"] == "auto":  # its dictionaries are the document's
            return split(text, style, context, max_width, justification_spacing,
                         is_line_start, minimum)
        try:
            key = (text, style.font_config, max_width, justification_spacing, is_line_start,
                   minimum, *(style[name] for name in _TEXT_PROPERTIES))
            found = kept.get(key)
        except TypeError:  # a value that cannot be a key: not kept
            return split(text, style, context, max_width, justification_spacing,
                         is_line_start, minimum)
        if found is None:
            found = split(text, style, context, max_width, justification_spacing,
                          is_line_start, minimum)
            if len(kept) >= TEXT_CACHE_SIZE:
                kept.clear()
            kept[key] = found
        layout, *rest = found
        # The layout keeps no Pango object once split_first_line returns (deactivated):
        # each box gets its own copy, reactivated when it is drawn.
        copy = object.__new__(type(layout))
        copy.__dict__.update(layout.__dict__)
        return (copy, *rest)

    _replace(inline, "split_first_line", split_first_line)


# The faces' bytes -----------------------------------------------------------------------------

FACE_MIN_BYTES = 1 << 20  # whole faces (the cut ones are 3.5-5 MB), not the subsets made of them
FACES_KEPT = 8


def _install_face_copies() -> None:
    from weasyprint.pdf import fonts as pdf_fonts
    from weasyprint.text.ffi import ffi, harfbuzz

    read = pdf_fonts.get_hb_object_data
    # The reference to the face keeps its data where it is: no other face's data can have
    # that address meanwhile.
    kept = faces

    def get_hb_object_data(hb_object, ot_color=None, glyph=None):
        if ot_color is not None:
            return read(hb_object, ot_color, glyph)
        blob = harfbuzz.hb_face_reference_blob(hb_object)
        try:
            with ffi.new("unsigned int *") as length:
                data = harfbuzz.hb_blob_get_data(blob, length)
                size = int(length[0])
            if data == ffi.NULL:
                return None
            if size < FACE_MIN_BYTES:
                return ffi.unpack(data, size)
            key = (int(ffi.cast("uintptr_t", data)), size)
            found = kept.get(key)
            if found is None:
                if len(kept) >= FACES_KEPT:
                    forget_faces()
                found = kept[key] = (ffi.unpack(data, size), harfbuzz.hb_face_reference(hb_object))
            return found[0]
        finally:
            harfbuzz.hb_blob_destroy(blob)

    _replace(pdf_fonts, "get_hb_object_data", get_hb_object_data)


# A document's reference cycles, broken once its PDF is written ---------------------------------

_contexts: list = []  # the layout contexts of the documents being built


def _install_release() -> None:
    from weasyprint import layout

    init = layout.LayoutContext.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        _contexts.append(self)

    _replace(layout.LayoutContext, "__init__", __init__)


def release() -> None:
    """Break the few reference cycles that kept a whole document (its styles, cascaded
    declarations and boxes: ~135,000 objects, 40 MB for a generated report) for the cyclic
    collector: the layout context and the partial it holds of itself, and each style with its
    anonymous style (whose ``specified`` is itself). Freed by reference counting instead, the
    document no longer costs the collection after each report its walk. Call it once the
    PDF is written: the context and its styles are no longer used."""
    while _contexts:
        context = _contexts.pop()
        style_for = context.__dict__.get("style_for")
        if style_for is not None:
            for style in list(style_for._computed_styles.values()):
                _release_style(style)
        context.__dict__.clear()


def _release_style(style) -> None:
    while style is not None:
        anonymous = style.__dict__.pop("anonymous_style", None)
        if style.__dict__.get("specified") is style:
            del style.__dict__["specified"]
        root = style.__dict__.get("root_style")
        if root is not None and root.__dict__.get("specified") is root:
            del root.__dict__["specified"]
        style = anonymous
