"""What the reader's sections and fields are called on screen (docs/design.md, "Past reports into data")."""

from django.utils.translation import gettext_lazy as _

SECTION_LABELS = {
    "basic": _("一、基本情况"),
    "general": _("二、一般公共预算支出情况"),
    "fund": _("三、政府性基金预算支出情况"),
    "state_capital": _("四、国有资本经营预算支出情况"),
    "social_insurance": _("五、社会保险基金预算支出情况"),
    "performance": _("六、资金使用及绩效情况"),
    "problems": _("七、存在的问题及原因分析"),
    "improvements": _("八、下一步改进措施"),
    "result_application": _("九、绩效自评结果拟应用和公开情况"),
    "other_matters": _("十、其他需要说明的情况"),
}

BUDGET_FIELD_LABELS = {
    "initial_budget": _("年初预算数"),
    "adjusted_budget": _("全年预算数"),
    "income": _("财政拨款收入"),
    "expenditure": _("财政拨款支出"),
    "basic": _("基本支出"),
    "personnel": _("人员经费"),
    "public": _("公用经费"),
    "project": _("项目支出"),
}


def budget_label(code: str) -> str:
    """一般公共预算 from "二、一般公共预算支出情况": a budget's name alone."""
    return str(SECTION_LABELS[code]).split("、", 1)[-1].removesuffix("支出情况")
