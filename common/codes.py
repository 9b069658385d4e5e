"""A code (部门编码, 项目编码, 资金来源编码 …): letters, digits, hyphens and underscores, the
characters a URL and a spreadsheet keep as they are. One rule and one message for the forms
(common/forms.CodeField) and the importer (evaluations/imports/cells.py)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")


def code_problem(text: str) -> str | None:
    """Why ``text`` is not a code, naming what was typed; None when it is one."""
    if CODE_RE.match(text):
        return None
    return _("编码只能包含字母、数字、连字符和下划线（%(value)s）。") % {"value": text}
