"""Admin actions over the rows a user picked: one way to run a step on each and say how it went.

The steps are the rules' (evaluations.workflow, targets, monitoring): each refuses with
PermissionDenied or ValidationError, and this module only reports, row by row, either every
reason given or what the step did. The report workflow's buttons and list actions, the
targets' actions, target adjustments and monitoring rounds all call ``act_on_each``; steps
that change what the public reads ask for a confirmation first (``confirmation_needed``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _


class WorkflowActionForm(ActionForm):
    """The changelist's action bar with a comment for returns, reopenings and revision notes."""

    comment = forms.CharField(
        label=_("意见或说明"), required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("退回、撤回或再次公开时必填")}),
    )


def refusal_texts(exc: PermissionDenied | ValidationError) -> list[str]:
    """What a refused step says: each message of a ValidationError, or the PermissionDenied."""
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]


def act_on_each(
    model_admin, request, objects: Iterable, act: Callable[[Any], Any],
    done: Callable[[Any, Any], str], *, prefixed: bool = True,
) -> int:
    """Run ``act(obj)`` on each object in turn and tell the user how each went: every reason
    it was refused (an error message each), else ``done(obj, result)``; with ``prefixed``
    each message starts with the object's name. Returns how many went through."""
    succeeded = 0
    for obj in objects:
        prefix = f"{obj}：" if prefixed else ""
        try:
            result = act(obj)
        except (PermissionDenied, ValidationError) as exc:
            for text in refusal_texts(exc):
                model_admin.message_user(request, prefix + text, messages.ERROR)
            continue
        model_admin.message_user(request, prefix + done(obj, result), messages.SUCCESS)
        succeeded += 1
    return succeeded


def posted_comment(request) -> str:
    """The comment typed next to the action (WorkflowActionForm) or on the buttons' form."""
    return request.POST.get("comment", "")


def confirmation_needed(request, action: str, confirmed_actions) -> bool:
    """True while a step that asks for a confirmation has not been confirmed: its page is
    shown instead, and the same POST with ``confirmed=1`` does it (no JavaScript)."""
    return action in confirmed_actions and request.POST.get("confirmed") != "1"
