"""Reports in the seed's outline written the ways real files are: other numbering, full-width
brackets and digits, headings run into their paragraph, leftovers, sections missing or in
another order, 元 amounts, GB18030, Word files with tables (issue 20)."""

import io
from decimal import Decimal

import pytest
from docx import Document

from evaluations import checks
from evaluations.models import Department, FiscalYear, Report
from evaluations.past import read_report
from evaluations.past.builder import import_report
from evaluations.past.reader import clean, match_part, match_section

pytestmark = pytest.mark.django_db

VARIANT = """\
2023年度示例县农业农村局整体支出绩效自评报告
一.基本情况
（一）部门基本情况：示例县农业农村局是县政府工作部门，内设机构6个。[bookmark: _GoBack]
(2）年度整体支出绩效目标
1、产出指标：新建高标准农田不低于2.5万亩，培训农民达到1,200人次。
2、效益指标：农业总产值达到1.2亿元，增长6.5%，群众满意度不低于90%，项目超支率不超过5%。
三、政府性基金预算支出情况 无。
二、一般公共预算支出情况
(一)基本支出情况
１．2023年年初预算１，２００．５０万元。
2．2023年度一般公共预算财政拨款收入12,005,000.00元，支出1,200.50万元，其中：基本支出300.50万元，其中：人员经费250.00万元，公用经费40.50万元；项目支出900.00万元。
（２）项目支出情况
(1)农田建设支出600.00万元
(2)农民培训支出250.00万元
四、国有资本经营预算支出情况
无
六、资金使用及绩效情况
（一）部门整体支出绩效情况 全年完成了主要目标。
1.抓建设，农田面貌明显改善。新建高标准农田2.6万亩，全部通过验收。
2.抓培训，农民技能持续提升。全年培训农民1,250人次。
[bookmark: _GoBack]3.抓服务，群众满意度稳步提高。群众满意度达95%。
（二）专项资金支出绩效情况
1.农田建设支出600万元。完成2.6万亩建设任务。
2.农民培训支出250万元。培训农民1,250人次，满意度95%。
八、下一步改进措施：加强项目前期论证。
七、存在的问题及原因分析
项目前期论证不足，部分项目进度偏慢。
"""


def test_headings_in_every_numbering_and_bracket_style():
    assert match_section("一.基本情况")[0] == "basic"
    assert match_section("十、其他需要说明的情况")[0] == "other_matters"
    assert match_section("四、国有资本经营预算支出情况 无。") == (
        "state_capital", "四、国有资本经营预算支出情况", "无。")
    for heading in ("（一）基本支出情况", "(一)基本支出情况", "(一）基本支出情况", "（1）基本支出情况",
                    "(1) 基本支出情况", "（１）基本支出情况"):
        assert match_part("general", heading)[0] == "spending", heading
    assert match_part("general", "（２）项目支出情况")[0] == "projects"
    assert match_part("performance", "(二）专项资金支出绩效情况")[0] == "special"
    assert match_part("basic", "（一）部门基本情况：本单位是……") == (
        "profile", "（一）部门基本情况", "本单位是……")
    assert clean("[bookmark: _GoBack]4.着力") == "4.着力"
    # A numbered list item is not a heading, nor is a sentence that starts with a title's words.
    assert match_section("1.经济指标：技工贸总收入达到275亿元") is None
    assert match_section("一般公共预算财政拨款收入100万元") is None


def test_a_variant_report_reads_whole():
    extraction = read_report(VARIANT.encode("utf-8"))
    assert extraction.year == 2023 and extraction.department_name == "示例县农业农村局"
    assert extraction.missing == ["social_insurance", "result_application", "other_matters"]
    texts = {name: text.value for name, text in extraction.texts.items()}
    assert texts["profile"] == "示例县农业农村局是县政府工作部门，内设机构6个。"
    assert texts["problems"] == "项目前期论证不足，部分项目进度偏慢。"
    assert texts["improvements"] == "加强项目前期论证。"
    assert texts["overall_summary"] == "全年完成了主要目标。"
    assert texts["goals"].startswith("1、产出指标：") and texts["goals"].count("\n") == 1

    general = extraction.budgets["general"].figures
    assert general["initial_budget"].value == Decimal("1200.50")
    assert general["initial_budget"].written == "１，２００．５０万元"  # as written, full-width
    income = general["income"]
    assert (income.value, income.written) == (Decimal("1200.5000"), "12,005,000.00元")
    assert "元" in income.note and "万元" in income.note  # converted, and says so
    assert {k: f.value for k, f in general.items() if k in ("personnel", "public", "project")} == {
        "personnel": Decimal("250.00"), "public": Decimal("40.50"), "project": Decimal("900.00")}
    assert extraction.budgets["fund"].none.value == "无"
    assert extraction.budgets["state_capital"].none.sentence == "无"

    assert [(p.name, p.expenditure.value, p.outcome.value) for p in extraction.projects] == [
        ("农田建设", Decimal("600.00"), "完成2.6万亩建设任务。"),
        ("农民培训", Decimal("250.00"), "培训农民1,250人次，满意度95%。"),
    ]
    assert [n.headline for n in extraction.narratives] == [
        "抓建设，农田面貌明显改善。", "抓培训，农民技能持续提升。", "抓服务，群众满意度稳步提高。"]
    assert extraction.unrecognised == []


def test_targets_stated_in_the_goals():
    targets = {t.name: t for t in read_report(VARIANT.encode("utf-8")).targets}
    farmland = targets["新建高标准农田"]
    assert (farmland.nature, farmland.target.value, farmland.unit, farmland.word) == (
        "gte", Decimal("2.5"), "万亩", "不低于")
    assert farmland.actual.value == Decimal("2.6")  # from 六(一)
    training = targets["培训农民"]
    assert (training.target.value, training.unit, training.actual.value) == (
        Decimal("1200"), "人次", Decimal("1250"))
    output = targets["农业总产值"]
    assert (output.target.value, output.unit, output.level1, output.level2) == (
        Decimal("1.2"), "亿元", "outcome", "economic")
    growth = targets["农业总产值增长率"]
    assert (growth.target.value, growth.unit, growth.nature) == (Decimal("6.5"), "%", "gte")
    satisfaction = targets["群众满意度"]
    assert (satisfaction.level1, satisfaction.target.value, satisfaction.actual.value) == (
        "satisfaction", Decimal("90"), Decimal("95"))
    assert targets["项目超支率"].nature == "lte"
    assert growth.actual is None  # 六(一) states no growth rate


def test_contradictions_are_kept_as_written_and_flagged():
    extraction = read_report(VARIANT.encode("utf-8"))
    flags = {f.code: f for f in extraction.flags}
    # 300.50 written as 基本支出, but 250.00 + 40.50 = 290.50: neither is "fixed".
    assert "300.50" in flags["basic_parts"].message and "290.50" in flags["basic_parts"].message
    assert extraction.budgets["general"].figures["basic"].value == Decimal("300.50")
    # 1,200.50 = 300.50 + 900.00 as written: the one contradiction is flagged once.
    assert list(flags) == ["basic_parts"]


def test_the_variant_becomes_a_draft_and_the_checks_say_what_the_text_gets_wrong():
    Department.objects.create(code="agri", name="示例县农业农村局")
    FiscalYear.objects.create(year=2023)
    outcome = import_report(VARIANT.encode("gb18030"), "variant.txt")
    report = outcome.report
    assert report.status == Report.Status.DRAFT and report.department.code == "agri"
    general = report.budget_executions.get(funding_source__code="general")
    assert (general.income, general.personnel, general.public, general.project) == (
        Decimal("1200.5"), Decimal("250"), Decimal("40.5"), Decimal("900"))
    assert not report.budget_executions.filter(funding_source__code__in=["fund", "state_capital"])
    codes = {f.code: f for f in outcome.findings}
    assert codes[checks.PROJECTS_SUM].figures["projects_total"] == Decimal("850")  # ≠ 900
    assert report.projects.count() == 2 and report.narratives.count() == 3
    assert report.indicators.get(name="群众满意度").actual_value == Decimal("95")


def test_gb18030_and_utf8_read_the_same():
    assert read_report(VARIANT.encode("gb18030")).texts == read_report(VARIANT.encode("utf-8")).texts


def _docx(paragraphs, table_rows=()) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table_rows:
        table = document.add_table(rows=0, cols=len(table_rows[0]))
        for row in table_rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_word_file_with_a_budget_table():
    lines = VARIANT.splitlines()
    cut = lines.index("(一)基本支出情况")
    head, tail = lines[:cut + 1], lines[cut + 3:]
    data = _docx(head, [("项目", "金额（万元）"), ("年初预算", "1,200.50"),
                        ("财政拨款收入", "1,200.50"), ("人员经费", "250.00"),
                        ("公用经费", "40.50"), ("项目支出", "900.00")])
    # The rest of the report after the table, in a second document body part.
    document = Document(io.BytesIO(data))
    for text in tail:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    extraction = read_report(buffer.getvalue(), "report.docx")
    general = extraction.budgets["general"].figures
    assert {k: f.value for k, f in general.items()} == {
        "initial_budget": Decimal("1200.50"), "income": Decimal("1200.50"),
        "personnel": Decimal("250.00"), "public": Decimal("40.50"), "project": Decimal("900.00")}
    assert general["personnel"].sentence == "人员经费 250.00万元"
    assert [p.name for p in extraction.projects] == ["农田建设", "农民培训"]
    assert extraction.texts["profile"].value == "示例县农业农村局是县政府工作部门，内设机构6个。"


def test_the_seed_as_a_word_file_reads_as_its_text_does():
    from evaluations.past.serialize import as_json
    from evaluations.sample import SAMPLE_TEXT

    text = SAMPLE_TEXT.read_bytes()
    from_docx = read_report(_docx(text.decode("utf-8").splitlines()), "seed.docx")
    assert as_json(from_docx) == as_json(read_report(text, "seed.txt"))


def test_every_value_carries_a_sentence_of_the_file():
    from evaluations.sample import SAMPLE_TEXT

    text = SAMPLE_TEXT.read_text(encoding="utf-8")
    extraction = read_report(text.encode("utf-8"))
    figures = [f for b in extraction.budgets.values() for f in b.figures.values()]
    figures += [p.expenditure for p in extraction.projects]
    figures += [t.target for t in extraction.targets] + [t.actual for t in extraction.targets if t.actual]
    assert len(figures) == 10 + 8 + 10 + 6
    for figure in figures:
        assert figure.written in figure.sentence and figure.sentence in text, figure


def test_a_portal_page_with_its_metadata_and_the_department_before_the_year():
    body = VARIANT.split("\n", 1)[1]
    text = ("索引号：43020300/2024-00123　发布机构：示例县财政局　文号：示财绩〔2024〕3号\n"
            "浏览次数：28\n示例县农业农村局2023年度部门整体支出绩效自评报告\n" + body)
    extraction = read_report(text.encode("utf-8"))
    assert (extraction.year, extraction.department_name) == (2023, "示例县农业农村局")
    texts = {name: t.value for name, t in extraction.texts.items()}
    assert (texts["index_number"], texts["publisher"], texts["document_number"]) == (
        "43020300/2024-00123", "示例县财政局", "示财绩〔2024〕3号")
    assert extraction.unrecognised == ["浏览次数：28"]


def test_a_word_file_with_a_project_table():
    lines = VARIANT.splitlines()
    start = lines.index("（２）项目支出情况")
    document = Document()
    for text in lines[:start + 1]:
        document.add_paragraph(text)
    table = document.add_table(rows=0, cols=3)
    for row in [("序号", "项目名称", "支出（万元）"), ("1", "农田建设", "600.00"), ("2", "农民培训", "250.00")]:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    for text in lines[start + 3:]:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    extraction = read_report(buffer.getvalue(), "report.docx")
    assert [(p.name, p.expenditure.value, p.expenditure.sentence) for p in extraction.projects] == [
        ("农田建设", Decimal("600.00"), "1.农田建设 600.00万元"),
        ("农民培训", Decimal("250.00"), "2.农民培训 250.00万元"),
    ]
    assert [p.outcome.value for p in extraction.projects] == [
        "完成2.6万亩建设任务。", "培训农民1,250人次，满意度95%。"]


def test_outcomes_without_amounts_match_their_projects_by_name():
    text = VARIANT.replace("1.农田建设支出600万元。完成2.6万亩建设任务。",
                           "1.农田建设：完成2.6万亩建设任务，投入资金580万元。")
    text = text.replace("三、政府性基金预算支出情况 无。\n", "三、政府性基金预算支出情况\n")
    extraction = read_report(text.encode("utf-8"))
    farmland = extraction.projects[0]
    assert farmland.outcome.value == "完成2.6万亩建设任务，投入资金580万元。"
    assert farmland.expenditure.value == Decimal("600.00") and farmland.outcome_amount is None
    assert len(extraction.projects) == 2 and not extraction.flags[1:]
    assert "fund" not in extraction.budgets  # a heading alone states nothing, not even 无


def test_performance_as_one_section_without_its_two_parts():
    text = VARIANT.replace("六、资金使用及绩效情况\n（一）部门整体支出绩效情况 全年完成了主要目标。\n",
                           "六、部门整体支出绩效情况\n全年完成了主要目标。\n")
    text = text.replace("（二）专项资金支出绩效情况\n", "")
    extraction = read_report(text.encode("utf-8"))
    assert extraction.texts["overall_summary"].value == "全年完成了主要目标。"
    assert len(extraction.narratives) == 3
    assert [p.outcome.value for p in extraction.projects] == [
        "完成2.6万亩建设任务。", "培训农民1,250人次，满意度95%。"]
    assert extraction.targets[0].actual.value == Decimal("2.6")
