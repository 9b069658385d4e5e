"""An outline's paragraphs → the report's data: texts, budgets' figures, projects, narratives and
targets, each value with the sentence it came from (docs/design.md, "Past reports into data").

Contradictions in the text (基本支出 ≠ 人员经费 + 公用经费, a project's amount differing between
二 and 六, a figure stated twice) are kept as first written and flagged, never corrected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from common.formatting import amount as shown
from evaluations.past.figures import (
    AMOUNT_RE,
    Figure,
    Statement,
    Text,
    amount,
    number_value,
    sentence_at,
    sentences,
    statements,
)
from evaluations.past.labels import BUDGET_FIELD_LABELS, budget_label
from evaluations.past.reader import TITLE_RE, Outline, Paragraph

BUDGET_SECTIONS = ("general", "fund", "state_capital", "social_insurance")
TEXT_SECTIONS = ("problems", "improvements", "result_application", "other_matters")
NONE_RE = re.compile(r"^(?:无|没有|本(?:部门|单位)无[^。]*|暂无)[。.]?$")
ITEM_RE = re.compile(
    r"^(?:[（(]\s*(?P<n2>[0-9０-９]{1,2})\s*[)）]|(?P<n>[0-9０-９]{1,2})\s*(?:、|[.．](?![0-9０-９])))"
    r"\s*(?P<rest>.*)$"
)
PROJECT_RE = re.compile(
    r"^(?P<name>[^，,。；;]+?)\s*(?:为|共|合计)?\s*(?P<amount>" + AMOUNT_RE.pattern + r")"
)
BUDGET_WORDS_RE = re.compile(r"财政拨款|预算资金|年初预算|全年预算|收入|基本支出|人员经费|公用经费")
LABEL_SPLIT_RE = re.compile(r"[，,；;：:。（）()]")
# The word before an amount that names it, most specific first.
BUDGET_LABELS: list[tuple[str, str]] = [
    ("人员经费", "personnel"), ("公用经费", "public"), ("基本支出", "basic"),
    ("项目支出", "project"), ("全年预算", "adjusted_budget"), ("调整后预算", "adjusted_budget"),
    ("调整预算", "adjusted_budget"), ("年初预算", "initial_budget"), ("预算资金", "initial_budget"),
    ("预算数", "initial_budget"), ("收入", "income"), ("支出", "expenditure"),
]
LEVELS: list[tuple[str, tuple[str, str]]] = [
    ("满意", ("satisfaction", "satisfaction")), ("经济", ("outcome", "economic")),
    ("社会", ("outcome", "social")), ("生态", ("outcome", "ecological")),
    ("可持续", ("outcome", "sustainability")), ("质量", ("output", "quality")),
    ("时效", ("output", "timeliness")), ("成本", ("output", "cost")),
    ("效益", ("outcome", "economic")),  # 效益指标 not said which: the economic kind
]
PUBLICATION_FIELDS = {"索引号": ("index_number", 100), "发布机构": ("publisher", 200),
                      "文号": ("document_number", 100)}
PUBLICATION_RE = re.compile(r"(?P<label>索引号|发布机构|文号)\s*[：:]\s*(?P<value>[^\s：:]+)")
STEM_TAIL_RE = re.compile(r"(?:项目|任务|数量|个数|数)$")


@dataclass
class Budget:
    """One budget's figures as stated (``figures`` by field), or ``none`` when the text says 无."""

    source: str
    figures: dict[str, Figure] = field(default_factory=dict)
    none: Text | None = None


@dataclass
class ProjectItem:
    position: int
    name: str
    source: str
    expenditure: Figure | None = None
    outcome: Text | None = None
    outcome_amount: Figure | None = None  # the amount 六(二) restates


@dataclass
class Narrative:
    position: int
    headline: str
    body: str
    sentence: str


@dataclass
class Target:
    position: int
    name: str
    level1: str
    level2: str
    nature: str
    unit: str
    target: Figure
    word: str  # the words that made the comparison ("达到"; "" when the default ≥ applies)
    actual: Figure | None = None
    actual_name: str = ""


@dataclass
class Flag:
    """Something the text itself gets wrong or leaves out, for the reviewer."""

    code: str
    message: str
    sentence: str = ""


@dataclass
class Extraction:
    title: str = ""
    year: int | None = None
    department_name: str = ""
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    texts: dict[str, Text] = field(default_factory=dict)
    budgets: dict[str, Budget] = field(default_factory=dict)
    projects: list[ProjectItem] = field(default_factory=list)
    narratives: list[Narrative] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)

    def flag(self, code: str, message: str, sentence: str = "") -> None:
        self.flags.append(Flag(code, message, sentence))


def item(paragraph: str) -> tuple[int, str] | None:
    m = ITEM_RE.match(paragraph)
    if not m:
        return None
    return int(number_value(m.group("n") or m.group("n2"))), m.group("rest").strip()


def joined(paragraphs: list[Paragraph]) -> str:
    return "\n".join(p.text for p in paragraphs)


# --- The whole ----------------------------------------------------------------------------------


def extract(outline: Outline) -> Extraction:
    result = Extraction(found=outline.found, missing=outline.missing, title=outline.title)
    title = TITLE_RE.match(outline.title) if outline.title else None
    if title:
        result.year = int(number_value(title.group("year")))
        result.department_name = (title.group("after") or title.group("before")).strip()
    _texts(outline, result)
    for source in BUDGET_SECTIONS:
        _budget(outline, source, result)
    _performance(outline, result)
    _targets(outline, result)
    _publication(outline, result)
    return result


def _publication(outline: Outline, result: Extraction) -> None:
    """A portal page's 索引号 / 发布机构 / 文号 before the report; anything else there is unrecognised."""
    for paragraph in (p for p in outline.paragraphs if p.section is None):
        found = list(PUBLICATION_RE.finditer(paragraph.text))
        for m in found:
            name, limit = PUBLICATION_FIELDS[m.group("label")]
            result.texts.setdefault(name, Text(m.group("value")[:limit], paragraph.text))
        if not found:
            result.unrecognised.append(paragraph.text)


def _set_text(result: Extraction, name: str, paragraphs: list[Paragraph]) -> None:
    # Kept as written, 无 included: a section that says 无 in its own words is the department's
    # statement, which the public page shows as such (an unwritten one it marks as unwritten).
    text = joined(paragraphs)
    result.texts[name] = Text(text, text)


def _texts(outline: Outline, result: Extraction) -> None:
    if "basic" in result.found:
        basic = outline.in_section("basic", any_part=True)
        _set_text(result, "profile", [p for p in basic if p.part in (None, "profile")])
        if outline.has_part("basic", "goals"):
            _set_text(result, "goals", [p for p in basic if p.part == "goals"])
    for name in TEXT_SECTIONS:
        if name in result.found:
            _set_text(result, name, outline.in_section(name, any_part=True))


# --- Budgets and their project lists ------------------------------------------------------------


def _budget(outline: Outline, source: str, result: Extraction) -> None:
    if source not in result.found:
        return
    paragraphs = outline.in_section(source, any_part=True)
    budget = result.budgets[source] = Budget(source)
    if not paragraphs:  # a heading alone states nothing, not even 无
        del result.budgets[source]
        return
    if len(paragraphs) == 1 and NONE_RE.match(paragraphs[0].text):
        budget.none = Text("无", paragraphs[0].text)
        return
    listed = outline.has_part(source, "projects")
    for paragraph in paragraphs:
        numbered = item(paragraph.text)
        is_project = paragraph.part == "projects" if listed else (
            numbered is not None and not BUDGET_WORDS_RE.search(paragraph.text))
        if is_project and numbered and _project_line(numbered, paragraph.text, source, result):
            continue
        if not _budget_sentence(paragraph.text, budget, result):
            result.unrecognised.append(paragraph.text)
    _budget_flags(budget, result)


def _project_line(numbered: tuple[int, str], text: str, source: str, result: Extraction) -> bool:
    _number, rest = numbered
    m = PROJECT_RE.match(rest)
    if not m:
        return False
    name = re.sub(r"支出$", "", m.group("name").strip()) or m.group("name").strip()
    figure = amount(AMOUNT_RE.match(m.group("amount")), text)
    result.projects.append(
        ProjectItem(len(result.projects) + 1, name.rstrip("：:"), source, expenditure=figure))
    return True


def _budget_sentence(text: str, budget: Budget, result: Extraction) -> bool:
    """Read each amount of a paragraph by the words just before it; False when none named."""
    used = False
    start = 0
    for m in AMOUNT_RE.finditer(text):
        label = LABEL_SPLIT_RE.split(text[start:m.start()])[-1]
        start = m.end()
        name = next((f for word, f in BUDGET_LABELS if word in label), None)
        if name is None:
            continue
        used = True
        figure = amount(m, sentence_at(text, m.start()))
        stated = budget.figures.get(name)
        if stated is None:
            budget.figures[name] = figure
        elif stated.value != figure.value:
            result.flag("stated_twice", _(
                "%(field)s在文中有两个不同的数：%(first)s 与 %(second)s；保留先写的 %(first)s。"
            ) % {"field": BUDGET_FIELD_LABELS[name], "first": stated.written,
                 "second": figure.written}, figure.sentence)
    return used


def _budget_flags(budget: Budget, result: Extraction) -> None:
    f = budget.figures
    label = budget_label(budget.source)

    def value(name):
        return f[name].value if name in f else None

    if "basic" in f and ("personnel" in f or "public" in f):
        parts = (value("personnel") or 0) + (value("public") or 0)
        if parts != value("basic"):
            result.flag("basic_parts", _(
                "%(budget)s：基本支出 %(basic)s 万元 ≠ 人员经费 + 公用经费 %(parts)s 万元（原文如此，未更正；"
                "保存的是人员经费和公用经费，基本支出由二者相加）。"
            ) % {"budget": label, "basic": shown(value("basic")), "parts": shown(parts)},
                f["basic"].sentence)
    elif "basic" in f and value("basic"):
        result.flag("basic_unsplit", _(
            "%(budget)s：文中只写了基本支出 %(basic)s 万元，没有分人员经费和公用经费；"
            "系统按二者保存，请补填。"
        ) % {"budget": label, "basic": shown(value("basic"))}, f["basic"].sentence)
    if "expenditure" in f:
        basic = value("basic") if "basic" in f else (value("personnel") or 0) + (value("public") or 0)
        total = basic + (value("project") or 0)
        if total != value("expenditure"):
            result.flag("expenditure_parts", _(
                "%(budget)s：财政拨款支出 %(stated)s 万元 ≠ 基本支出 + 项目支出 %(total)s 万元（原文如此，未更正）。"
            ) % {"budget": label, "stated": shown(value("expenditure")), "total": shown(total)},
                f["expenditure"].sentence)


# --- 六: overall performance (narratives) and the projects' outcomes ----------------------------


def _performance(outline: Outline, result: Extraction) -> None:
    if "performance" not in result.found:
        return
    paragraphs = outline.in_section("performance", any_part=True)
    parted = outline.has_part("performance", "overall") or outline.has_part("performance", "special")
    lead: list[Paragraph] = []
    current = None  # the narrative or project the next unnumbered paragraph continues
    for paragraph in paragraphs:
        numbered = item(paragraph.text)
        special = paragraph.part == "special" if parted else (
            numbered is not None and _known_project(numbered[1], result)[0] is not None)
        if numbered is None:
            if current is None and not special:
                lead.append(paragraph)
            elif isinstance(current, Narrative):
                current.body += "\n" + paragraph.text
            elif isinstance(current, ProjectItem) and current.outcome is not None:
                current.outcome.value += "\n" + paragraph.text
            else:
                result.unrecognised.append(paragraph.text)
            continue
        current = (_outcome(numbered, paragraph.text, result) if special
                   else _narrative(numbered, paragraph.text, result))
    if lead or parted:
        result.texts["overall_summary"] = Text(joined(lead), joined(lead))


def _narrative(numbered: tuple[int, str], text: str, result: Extraction) -> Narrative:
    _number, rest = numbered
    parts = sentences(rest)
    headline, body = (parts[0], "".join(parts[1:])) if parts else (rest, "")
    if len(headline) > 300:
        result.flag("long_headline", _("第 %(n)s 段的第一句超过 300 字，标题句只取前 300 字，其余放入正文。")
                    % {"n": len(result.narratives) + 1}, text)
        headline, body = headline[:300], headline[300:] + body
    narrative = Narrative(len(result.narratives) + 1, headline, body, text)
    result.narratives.append(narrative)
    return narrative


def _known_project(rest: str, result: Extraction) -> tuple[ProjectItem | None, re.Match | None]:
    """The listed project a numbered paragraph of 六(二) is about, and its "name 支出 amount"
    lead when it has one: by the name before the amount, else by the name it starts with."""
    m = PROJECT_RE.match(rest)
    if m:
        name = re.sub(r"支出$", "", m.group("name").strip())
        found = next((p for p in result.projects if p.name == name), None)
        if found is not None:
            return found, m
    return next((p for p in result.projects if rest.startswith(p.name)), None), None


def _outcome(numbered: tuple[int, str], text: str, result: Extraction) -> ProjectItem | None:
    rest = numbered[1]
    project, m = _known_project(rest, result)
    if project is None:
        m = PROJECT_RE.match(rest)
        if m is None:
            result.unrecognised.append(text)
            return None
        name = re.sub(r"支出$", "", m.group("name").strip())
        project = ProjectItem(len(result.projects) + 1, name, "general")
        result.projects.append(project)
        result.flag("project_only_in_outcomes", _(
            "项目“%(name)s”只出现在专项资金支出绩效情况中，未在预算支出情况中列出；按一般公共预算导入。"
        ) % {"name": name}, text)
    figure = amount(AMOUNT_RE.match(m.group("amount")), text) if m else None
    outcome = rest[m.end():] if m else rest[len(project.name):]
    project.outcome = Text(re.sub(r"^[。.，,；;：:\s]+", "", outcome), text)
    project.outcome_amount = figure
    if project.expenditure is None:
        project.expenditure = figure
    elif figure is not None and figure.value != project.expenditure.value:
        result.flag("project_amounts_differ", _(
            "项目“%(name)s”的支出在预算支出情况中为 %(listed)s，在专项资金支出绩效情况中为 %(outcome)s；"
            "保留预算支出情况中的 %(listed)s。"
        ) % {"name": project.name, "listed": project.expenditure.written, "outcome": figure.written},
            text)
    return project


# --- Targets stated in the goals, and what 六(一) says was achieved ------------------------------


def _targets(outline: Outline, result: Extraction) -> None:
    goals = [p for p in outline.in_section("basic", "goals")]
    seen: set[str] = set()
    for paragraph in goals:
        lead = re.match(r"^(?:[0-9０-９]{1,2}\s*[.、．])?\s*([^：:，,。]{1,12})[：:]", paragraph.text)
        category = lead.group(1) if lead else ""
        for statement in statements(paragraph.text):
            if statement.name in seen:
                continue
            seen.add(statement.name)
            level1, level2 = _levels(category, statement)
            result.targets.append(Target(
                len(result.targets) + 1, statement.name, level1, level2,
                statement.comparison or "gte", statement.figure.unit, statement.figure,
                statement.word,
            ))
    achieved = [s for p in outline.in_section("performance", "overall") for s in statements(p.text)]
    if not outline.has_part("performance", "overall"):
        achieved = [s for n in result.narratives for s in statements(n.headline + n.body)]
    for target in result.targets:
        found = _achieved(target, achieved)
        if found is not None:
            target.actual, target.actual_name = found.figure, found.name


def _levels(category: str, statement: Statement) -> tuple[str, str]:
    words = category + statement.name
    return next((levels for word, levels in LEVELS if word in words), ("output", "quantity"))


def _achieved(target: Target, achieved: list[Statement]) -> Statement | None:
    same_unit = [s for s in achieved if s.figure.unit == target.unit]
    exact = next((s for s in same_unit if target.name in s.name), None)
    if exact is not None:
        return exact
    stem = STEM_TAIL_RE.sub("", target.name)
    if len(stem) >= 2 and stem != target.name:
        return next((s for s in same_unit if stem in s.name), None)
    return None
