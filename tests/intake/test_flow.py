"""The `mail-intake` flow, run once for real: `qinglian intake run` against Dovecot and SMTP,
then `qinglian intake list`. Its artifact holds counts only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.testing.utilities import prefect_test_harness

from qinglian.org.reply_tokens import ensure_reply_tokens
from qinglian.org.units import get_unit_by_code
from tests.factories import FB, Qinglian, assert_one_error, launch_seed_campaign, qinglian_cli
from tests.intake.conftest import FB_OFFICE, INTAKE, STRANGER, SmtpServer
from tests.intake.dovecot import PASSWORD, Dovecot
from tests.intake.mails import forms_workbook, returned_mail

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dovecot: Dovecot,
    user: str,
    smtp: SmtpServer,
) -> Iterator[Qinglian]:
    monkeypatch.setenv("QINGLIAN_INTAKE_IMAP", dovecot.url(user))
    monkeypatch.setenv("QINGLIAN_INTAKE_PASSWORD", PASSWORD)
    monkeypatch.setenv("QINGLIAN_INTAKE_ADDRESS", INTAKE)
    monkeypatch.setenv("QINGLIAN_NOTIFY__EMAIL", smtp.url)
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as harness:
        harness.ok("db", "upgrade")
        yield harness


def test_the_flow_reads_imports_answers_and_lists(
    prefect_api: None, cli: Qinglian, dovecot: Dovecot, user: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    with cli.session() as session:
        campaign_id = launch_seed_campaign(session, tmp_path)
        unit = get_unit_by_code(session=session, code=FB)
        token = ensure_reply_tokens(session, [unit.id or 0])[unit.id or 0]
        workbook = forms_workbook(session, campaign_id, FB)
        session.commit()
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE,
            to=f"intake+{token}@lyg.example.cn",
            attachments=[("报告表.xlsx", workbook)],
        ),
        returned_mail(sender=STRANGER, attachments=[("报告表.xlsx", workbook)]),
    )

    ran = cli.ok("intake", "run", "--as-of", "2012-08-09")

    assert "读取 2 封：导入 1，退回 0，隔离 1" in ran.stdout
    assert "成功 sent 1" in ran.stdout
    ((recipients, mail),) = smtp.mails  # the stranger gets nothing
    assert recipients == [FB_OFFICE] and mail["Subject"].startswith("回执：")
    listed = cli.ok("intake", "list").stdout
    assert "已导入 imported" in listed and "已隔离 quarantined" in listed
    assert FB_OFFICE in listed and STRANGER in listed and FB in listed
    assert "施庆喜" not in listed and "FB001" not in listed
    assert cli.ok("intake", "run").stdout.startswith("读取 0 封")
    assert "bogus" in assert_one_error(cli("intake", "list", "--status", "bogus"))
    assert "abc" in assert_one_error(cli("intake", "run", "--limit", "abc"))

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["mail-intake"]))
        )
    shown = [str(artifact.data) for artifact in artifacts]
    assert len(shown) == 2 and any("导入 1" in text and "隔离 1" in text for text in shown)
    assert not any("@" in text or "施庆喜" in text or "报告表.xlsx" in text for text in shown)
