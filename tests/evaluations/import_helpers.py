"""What the import_data tests share: a projects file and the command run to success or failure."""

import io

import pytest
from django.core.management import CommandError, call_command

PROJECTS_CSV = (
    "年度,部门编码,项目编码,项目名称,预算类别,年初预算数,全年预算数,全年执行数,年度总体目标,专项资金支出绩效情况\r\n"
    "2024,d1,p1,项目一,一般公共预算,10,12.5,1524.91,目标,'=不是公式\r\n"
    "2024,d1,p2,项目二,fund,,,0.125,,\r\n"
)


def run(dataset: str, content: str | bytes, *args: str, encoding: str = "utf-8") -> str:
    data = content.encode(encoding) if isinstance(content, str) else content
    path = io.BytesIO(data)
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(path.getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", dataset, handle.name, *args, stdout=out, stderr=err)
    return out.getvalue()


def run_failing(dataset: str, content: str) -> str:
    err = io.StringIO()
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(content.encode("utf-8"))
    with pytest.raises(CommandError) as excinfo:
        call_command("import_data", dataset, handle.name, stderr=err)
    assert excinfo.value.returncode == 1
    return err.getvalue()
