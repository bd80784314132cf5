"""Every file the project writes stays in its folder, whatever a code, a name or a title says.

A name built from untrusted text goes through :func:`qinglian.exchange.output.file_under`: path
separators, dots, NUL and hidden characters become ``_``, the name is bounded in bytes, and the
result must resolve inside the folder (a symbolic link leading out is refused). A database
that already holds a hostile unit code (stored before codes were checked) writes its report and
its 报告表 template under the output folder, or is refused as a usage error on the command line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from models.flow_inputs import ReportInput
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.declarations.workbook import default_template_path, write_form_template
from qinglian.exchange.output import NAME_MAX_BYTES, file_under, safe_file_name
from qinglian.reporting.document.files import default_report_path, produce_report
from tasks.write_report import write_unit_report
from tests.databases import DATABASES
from tests.factories import (
    CADRES,
    FB,
    LYG,
    MOH,
    UNITS,
    Qinglian,
    assert_one_error,
    qinglian_cli,
    write_cadres,
    write_units,
)

AS_OF = date(2012, 9, 20)


# --- a safe name, as a table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("综合情况报告-JS-LYG-FB-2012-09-20.docx", "综合情况报告-JS-LYG-FB-2012-09-20.docx"),
        ("报告表-320701.xlsx", "报告表-320701.xlsx"),
        ("a.b_c-1.md", "a.b_c-1.md"),
        ("../../../../tmp/x", "________tmp_x"),
        ("..", "_"),
        (".", "_"),
        ("", "_"),
        (".hidden", "_hidden"),
        ("  .bashrc", "_bashrc"),
        ("a/b", "a_b"),
        ("a\\b", "a_b"),
        ("C:\\Windows\\x", "C__Windows_x"),
        ("a\0b", "a_b"),
        ("a\nb\rc\td", "a_b_c_d"),
        ("a\x01b\x7fc\x9bd", "a_b_c_d"),
        ("连云港\u200b市", "连云港_市"),
        ("连云港\u202e院", "连云港_院"),
        ("连云港\u2028市", "连云港_市"),
        ('a<b>c:d"e|f?g*h', "a_b_c_d_e_f_g_h"),
        ("报告...docx", "报告_docx"),
        ("Cafe\u0301", "Caf\u00e9"),  # one spelling of é, so one file
    ],
)
def test_safe_file_name(text: str, name: str) -> None:
    assert safe_file_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "综合情况报告-" + "连" * 300 + "-2012-09-20.docx",
        "X" * 1000 + ".xlsx",
        "é" * 150 + ".md",
        "Y" * 300,
    ],
)
def test_a_long_name_is_cut_in_bytes_keeping_its_suffix(text: str, tmp_path: Path) -> None:
    name = safe_file_name(text)
    assert len(name.encode()) <= NAME_MAX_BYTES
    assert name.endswith(Path(text).suffix)
    assert len(name.encode()) >= NAME_MAX_BYTES - 3  # cut at a character, not shorter
    assert name.startswith(text[:10])
    # Another long text cut at the same place keeps its own name.
    assert safe_file_name(text.replace(text[60], "Z", 1)) != name
    # ext4 takes it, and the temporary name written beside it.
    (tmp_path / name).write_text("x")
    (tmp_path / f".{name}.abcdefgh.tmp").write_text("x")


@pytest.mark.parametrize(
    "parts",
    [
        ("../../../../../escaped",),
        ("reports", "..", "..", "escaped"),
        ("/etc/passwd",),
        ("..", "..", ".."),
        ("\0", "\n"),
        ("a" * 400,),
    ],
)
def test_file_under_stays_in_its_folder(parts: tuple[str, ...], tmp_path: Path) -> None:
    folder = tmp_path / "output"
    path = file_under(folder, *parts)
    assert path.resolve().is_relative_to(folder.resolve())
    assert len(path.relative_to(folder).parts) == len(parts)
    assert all(len(part.encode()) <= NAME_MAX_BYTES for part in path.relative_to(folder).parts)


def test_file_under_refuses_a_symbolic_link_leading_out(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "output", tmp_path / "elsewhere"
    (folder / "reports").mkdir(parents=True)
    elsewhere.mkdir()
    (folder / "reports" / "campaign-1").symlink_to(elsewhere)
    (folder / "report.md").symlink_to(elsewhere / "report.md")
    for parts in [("reports", "campaign-1", "报告.md"), ("report.md",)]:
        with pytest.raises(QinglianError) as caught:
            file_under(folder, *parts)
        assert "之外" in caught.value.zh and "leads outside the folder" in caught.value.en
        assert str(elsewhere) in caught.value.zh


def test_file_under_follows_links_that_stay_inside(tmp_path: Path) -> None:
    real = tmp_path / "real-output"
    (real / "2012").mkdir(parents=True)
    folder = tmp_path / "output"
    folder.symlink_to(real)  # the output folder itself may live elsewhere
    (real / "latest").symlink_to(real / "2012")
    assert file_under(folder, "latest", "报告.md") == folder / "latest" / "报告.md"


def test_file_under_refuses_a_symbolic_link_loop(tmp_path: Path) -> None:
    folder = tmp_path / "output"
    folder.mkdir()
    (folder / "loop").symlink_to(folder / "loop")
    with pytest.raises(QinglianError) as caught:
        file_under(folder, "loop", "报告.md")
    assert "无法写入" in caught.value.zh and "cannot write" in caught.value.en


# --- through the command line -----------------------------------------------------------------


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    """The seed tree and cadres, coi-2012 launched on 卫生部 (campaign 1)."""
    with qinglian_cli(request.param, tmp_path, monkeypatch) as harness:
        harness.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        harness.ok("cadres", "import", write_cadres(tmp_path / "cadres.xlsx", CADRES))
        harness.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH)
        yield harness


def _files_outside(tmp_path: Path, output: Path) -> set[Path]:
    """Every file and folder under ``tmp_path`` (and escaped ones beside it), but the output
    folder, the folders it sits in, and the database's own journal."""
    found = {
        path
        for path in tmp_path.rglob("*")
        if not path.is_relative_to(output)
        and path not in output.parents
        and not path.name.endswith(("-journal", "-wal", "-shm"))
    }
    return found | set(tmp_path.parent.glob("escaped*"))


# A unit whose parent does not exist: the one row --skip-invalid sets aside.
ORPHAN = {
    "单位编码": "NEW",
    "单位名称": "新单位",
    "层级": "单位",
    "类型": "医疗",
    "上级单位编码": "NOPE",
}


def test_a_rejected_rows_file_linked_out_is_refused(cli: Qinglian, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "inbox").mkdir()
    source = write_units(tmp_path / "inbox" / "units.csv", [*UNITS, ORPHAN])
    (source.parent / "units.rejected.csv").symlink_to(elsewhere / "stolen.csv")
    before = cli.counts()
    line = assert_one_error(cli("units", "import", source, "--skip-invalid"))
    assert "拒绝写入" in line and "leads outside the folder" in line
    assert list(elsewhere.iterdir()) == []
    assert cli.counts() == before


def test_a_charts_folder_linked_out_is_refused(cli: Qinglian, tmp_path: Path) -> None:
    elsewhere, out = tmp_path / "elsewhere", tmp_path / "out"
    elsewhere.mkdir()
    out.mkdir()
    (out / "报告_charts").symlink_to(elsewhere)
    before = cli.counts()
    result = cli("report", "1", "--unit", FB, "--format", "md", "--out", out / "报告.md")
    line = assert_one_error(result)
    assert "拒绝写入" in line and "leads outside the folder" in line
    assert list(elsewhere.iterdir()) == [] and not (out / "报告.md").exists()
    assert cli.counts() == before


def test_a_long_input_file_name_still_gets_its_rejected_rows(cli: Qinglian, tmp_path: Path) -> None:
    source = write_units(tmp_path / ("单位" * 40 + ".csv"), [*UNITS, ORPHAN])  # 240 bytes
    cli.ok("units", "import", source, "--skip-invalid")
    [rejected] = tmp_path.glob("*.rejected.csv")
    assert len(rejected.name.encode()) <= NAME_MAX_BYTES and rejected.name.startswith("单位单位")


# --- a hostile code already in the database ---------------------------------------------------

# Each climbs from output/<kind>/campaign-1/ to tmp_path, or further.
HOSTILE = [
    "../../../../../escaped",
    "../../../../../../escaped",
    "..\\..\\..\\..\\..\\escaped",
    ".escaped",
    "esc\u202eaped/../../../../../escaped",
]


def _old_unit(cli: Qinglian, code: str) -> None:
    """A unit under 连云港 stored as an old database might hold it: by SQL, no importer."""
    with cli.session() as session:
        session.execute(
            text(
                "INSERT INTO unit (code, name, aliases, level, kind, parent_id, path, depth) "
                "SELECT :code, :name, model.aliases, model.level, model.kind, parent.id, "
                "parent.path, parent.depth + 1 FROM unit AS model, unit AS parent "
                "WHERE model.code = :model AND parent.code = :parent"
            ),
            {"code": code, "name": "旧库\u202e单位", "model": FB, "parent": LYG},
        )
        session.execute(
            text("UPDATE unit SET path = path || CAST(id AS VARCHAR(20)) || '/' WHERE code = :c"),
            {"c": code},
        )
        session.commit()


@pytest.mark.parametrize("code", HOSTILE)
@pytest.mark.parametrize(
    "command",
    [
        ("report", "1", "--unit", "{code}", "--format", "md", "--as-of", "2012-09-20"),
        ("forms", "template", "{code}", "--campaign", "1"),
    ],
    ids=["report", "forms-template"],
)
def test_the_command_line_refuses_a_stored_hostile_code(
    cli: Qinglian, tmp_path: Path, code: str, command: tuple[str, ...]
) -> None:
    _old_unit(cli, code)
    output = cli.home / "output"
    outside, before = _files_outside(tmp_path, output), cli.counts()
    result = cli(*(code if arg == "{code}" else arg for arg in command))
    line = assert_one_error(result)
    assert result.exit_code == 2 and "单位编码" in line and "invalid unit code" in line
    assert _files_outside(tmp_path, output) == outside
    assert cli.counts() == before


@pytest.mark.parametrize("code", HOSTILE)
def test_a_stored_hostile_code_names_a_safe_file(cli: Qinglian, tmp_path: Path, code: str) -> None:
    _old_unit(cli, code)
    settings = get_settings()
    output = settings.output_dir.resolve()
    outside = _files_outside(tmp_path, cli.home / "output")
    with cli.session() as session:
        report = produce_report(
            session=session,
            campaign_id=1,
            unit_code=code,
            as_of=AS_OF,
            fmt="md",
            out=default_report_path(settings, 1, code, AS_OF, "md"),
        )
        template = write_form_template(
            session=session,
            campaign_id=1,
            unit_code=code,
            path=default_template_path(settings, 1, code),
        )
    task_report = write_unit_report.fn(
        ReportInput(campaign_id=1, unit_code=code, format="docx"), AS_OF
    )
    for path, folder in [
        (report, output / "reports" / "campaign-1"),
        (task_report, output / "reports" / "campaign-1"),
        (template, output / "templates" / "campaign-1"),
    ]:
        assert path.is_file() and path.resolve().parent == folder
        assert "escaped" in path.name and not path.name.startswith(".")
        assert "\u202e" not in path.name
    assert "旧库" in report.read_text(encoding="utf-8")
    assert _files_outside(tmp_path, cli.home / "output") == outside


def test_a_template_without_out_goes_to_the_output_folder(cli: Qinglian) -> None:
    written = cli.ok("forms", "template", FB, "--campaign", "1").stdout
    path = cli.home / "output" / "templates" / "campaign-1" / f"报告表-{FB}.xlsx"
    assert str(path) in written and path.is_file()
