"""One page to add a clerk (issue 14.10): user name, password, role and departments at once.

The role is one of the groups of docs/design.md (data_entry, reviewer, auditor); every role
works in the admin, so the page sets 工作人员状态 (``is_staff``) itself instead of leaving a
box to forget. The sign-in form says, after a correct password only, that an account exists
but has no admin access (``StaffOnlyLoginForm``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from common.formatting import join_names
from evaluations import access
from evaluations.models import Department

# Each role's name, as the users list and its filter show it.
ROLE_NAMES = {"data_entry": _("填报人"), "reviewer": _("审核人"), "auditor": _("审计")}
ROLES = [
    ("data_entry", _("填报人：填报、导入本部门的报告并提交")),
    ("reviewer", _("审核人：审核、公开各部门的报告，开放年度填报")),
    ("auditor", _("审计：查看全部数据并导出，不能修改")),
]


class ClerkCreationForm(UserCreationForm):
    """A user with a role and, for a clerk, the departments they enter data for."""

    role = forms.ChoiceField(label=_("角色"), choices=ROLES, initial="data_entry")
    departments = forms.ModelMultipleChoiceField(
        label=_("填报部门"), queryset=Department.objects.order_by("code"), required=False,
        widget=FilteredSelectMultiple(_("部门"), is_stacked=False),
        help_text=_("填报人只能填报这些部门的报告；审核人和审计可查看所有部门，不必选择。"),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == "data_entry" and not cleaned.get("departments"):
            self.add_error("departments", _("填报人至少要有一个填报部门。"))
        return cleaned

    @transaction.atomic
    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True  # every role works in the admin
        user.save()
        user.groups.set([Group.objects.get(name=self.cleaned_data["role"])])
        for department in self.cleaned_data.get("departments") or ():
            department.staff.add(user)
        return user

    def save_m2m(self):  # the admin calls it after save(); everything is saved above
        return None


class RoleFilter(admin.SimpleListFilter):
    """The roles by their names (the groups' own names are codes: data_entry, reviewer)."""

    title = _("角色")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return list(ROLE_NAMES.items())

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


class ClerkUserAdmin(UserAdmin):
    add_form = ClerkCreationForm
    # Who does what, and for which departments, seen at a glance and on each user's page (the
    # role and departments set when adding a user were shown nowhere afterwards).
    list_display = ["username", "role_display", "departments_display", "is_active", "last_login"]
    list_filter = [RoleFilter, "is_active"]
    readonly_fields = ["role_display", "departments_display"]
    fieldsets = (
        UserAdmin.fieldsets[0],
        (_("角色与填报部门"), {
            "fields": ("role_display", "departments_display"),
            "description": _("角色在下方“权限”的组中更改；填报部门在“部门”页的“填报人员”中更改。"),
        }),
        *UserAdmin.fieldsets[1:],
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            "groups", Prefetch("departments", queryset=Department.objects.order_by("code")))

    @admin.display(description=_("角色"))
    def role_display(self, obj: User) -> str:
        names = [str(ROLE_NAMES.get(g.name, g.name)) for g in obj.groups.all()]
        if access.is_unrestricted(obj):
            names.insert(0, str(_("超级用户")))
        return join_names(names) or "—"

    @admin.display(description=_("填报部门"))
    def departments_display(self, obj: User) -> str:
        return join_names(d.name for d in obj.departments.all()) or "—"

    class Media:
        css = {"all": ["css/admin.css"]}
        js = ["js/admin-a11y.js"]  # the filter widget's icon, given its role
    add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2", "role", "departments")}),
    )

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["fields"] = None  # the add form's own fields, role and departments included
        return super().get_form(request, obj, **kwargs)


class StaffOnlyLoginForm(AdminAuthenticationForm):
    """Says why a right password did not let someone in: the account has no admin role.

    Only after authentication succeeded, so the page tells nothing about which accounts exist
    to someone who does not know the password.
    """

    def confirm_login_allowed(self, user):
        if not user.is_staff:
            raise ValidationError(
                _("账户“%(username)s”存在，但没有管理后台的权限。请联系管理员为其设置角色"
                  "（在“用户”中增加或修改该用户）。"),
                code="no_admin_access", params={"username": user.get_username()},
            )
        super().confirm_login_allowed(user)


def register(site: admin.AdminSite) -> None:
    if site.is_registered(User):
        site.unregister(User)
    site.register(User, ClerkUserAdmin)
    site.login_form = StaffOnlyLoginForm
