"""How a digest reads on each channel: overdue first, units by name with their counts, a few
items each, and the unit's portal page when the portal's address is set."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from models.campaign import Campaign, Deliverable, Phase
from models.enums import Level, MessageFormat, UnitKind
from qinglian.core.settings import Settings
from qinglian.notify.channels import DINGTALK, EMAIL, WECOM, Channel
from qinglian.notify.protocol import NotifyError
from qinglian.oversight.digests import Digest
from qinglian.oversight.outbox import plan_sweep
from tests.factories import add_unit

AS_OF = date(2012, 10, 20)
TARGET = "city_office"
PORTAL = "https://ql.example.cn/"
INJECTED = "报送[点此](https://evil.example.cn)*说明*"


@dataclass
class Small:
    session: Session
    campaign_id: int

    def digest(
        self, channel: Channel | None, *, portal: str | None = None, target: str = TARGET
    ) -> Digest:
        def channel_of(name: str) -> Channel:
            if channel is None:
                raise NotifyError("未配置", "not configured")
            return channel

        plan = plan_sweep(
            session=self.session,
            campaign_id=self.campaign_id,
            as_of=AS_OF,
            channel_of=channel_of,
            settings=Settings(portal_url=portal, intake_address=None),
        )
        (found,) = [d for d in plan.digests if d.target == target]
        return found


@pytest.fixture
def small() -> Iterator[Small]:
    """连云港市卫生局's office bot, told of: 第一人民医院's five items, 10–11 days overdue (its
    parent's turn), one with markdown in its title; two hospitals both called 人民医院, 8 days
    overdue; and the city's own summary, due in two days."""
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        city = add_unit(
            session,
            None,
            code="LYG",
            name="连云港市卫生局",
            level=Level.city,
            kind=UnitKind.health_admin,
            office_webhook=TARGET,
        )
        units = {
            code: add_unit(
                session,
                city,
                code=code,
                name=name,
                level=Level.institution,
                kind=UnitKind.public_medical,
            )
            for code, name in [
                ("LYG-DY", "连云港市第一人民医院"),
                ("LYG-GY", "人民医院"),
                ("LYG-GN", "人民医院"),
            ]
        }
        campaign = Campaign(
            template_key="coi-2012",
            title="防止利益冲突专项活动",
            root_unit_id=city.id or 0,
            start_on=date(2012, 7, 16),
        )
        session.add(campaign)
        session.flush()
        phase = Phase(
            campaign_id=campaign.id or 0,
            key="rectify",
            title="整改",
            seq=1,
            starts_on=date(2012, 9, 1),
            ends_on=date(2012, 11, 30),
        )
        session.add(phase)
        session.flush()

        def item(unit_id: int | None, title: str, days_overdue: int) -> Deliverable:
            return Deliverable(
                campaign_id=campaign.id or 0,
                phase_id=phase.id or 0,
                unit_id=unit_id or 0,
                kind=f"item_{title}",
                title=title,
                due_on=AS_OF - timedelta(days=days_overdue),
            )

        session.add_all(
            [
                *(item(units["LYG-DY"].id, f"第{n}项整改措施", 10) for n in range(1, 5)),
                item(units["LYG-DY"].id, INJECTED, 11),
                item(units["LYG-GY"].id, "灌云整改措施", 8),
                item(units["LYG-GN"].id, "灌南整改措施", 8),
                item(city.id, "全市阶段性总结", -2),
            ]
        )
        session.commit()
        yield Small(session, campaign.id or 0)
    engine.dispose()


@pytest.mark.parametrize("channel", [WECOM, DINGTALK], ids=["wecom", "dingtalk"])
def test_markdown_for_bots_overdue_first_by_name_with_counts(
    small: Small, channel: Channel
) -> None:
    digest = small.digest(channel)
    body = digest.body
    assert digest.format is MessageFormat.markdown and digest.parts == 1
    assert body.splitlines()[0] == f"**{digest.title}**"
    # The subordinates' overdue items before the office's own coming deadline.
    assert body.index("下级单位逾期事项") < body.index("本单位待办事项")
    assert body.index("**连云港市第一人民医院** 逾期5项") < body.index("**连云港市卫生局** 待办1项")
    # By name, not code; a code only where two units share a name.
    assert "LYG-DY" not in body and "（LYG）" not in body
    assert "**人民医院（LYG-GN）** 逾期1项" in body and "**人民医院（LYG-GY）** 逾期1项" in body
    # A few items per unit, the rest counted.
    block = body.split("**连云港市第一人民医院** 逾期5项\n", 1)[1]
    assert [line[:3] for line in block.splitlines()[:4]] == ["1. ", "2. ", "3. ", "……另"]
    assert "……另有2项" in block
    # No portal address, no link; markdown in a title cannot make one.
    assert (
        "1. 〔上报事项〕报送［点此］(https://evil.example.cn)＊说明＊，10月9日，已逾期11天" in block
    )
    assert "](" not in body and "*说明*" not in body


def test_markdown_links_each_unit_to_its_portal_page(small: Small) -> None:
    body = small.digest(WECOM, portal=PORTAL).body
    assert "[连云港市第一人民医院](https://ql.example.cn/units/LYG-DY) 逾期5项" in body
    assert "[人民医院（LYG-GY）](https://ql.example.cn/units/LYG-GY) 逾期1项" in body
    assert "[连云港市卫生局](https://ql.example.cn/units/LYG) 待办1项" in body


def test_text_for_mail_keeps_the_full_layout_overdue_first(small: Small) -> None:
    digest = small.digest(EMAIL, portal=PORTAL)
    body = digest.body
    assert digest.format is MessageFormat.text
    assert body.index("下级单位逾期事项") < body.index("本单位待办事项")
    assert "连云港市第一人民医院（LYG-DY），逾期5项：" in body
    assert "  1. [上报事项] " + INJECTED in body  # up to ten items, as written
    assert "  5. [上报事项] 第4项整改措施，时限10月10日，已逾期10天" in body
    assert "  办理：https://ql.example.cn/units/LYG-DY" in body
    assert "按照防止利益冲突专项活动的工作安排" in body and digest.key[:16] in body


def test_an_unconfigured_target_gets_plain_text_without_a_limit(small: Small) -> None:
    digest = small.digest(None)
    assert digest.format is MessageFormat.text and (digest.part, digest.parts) == (1, 1)
    assert digest.mentions == () and "连云港市第一人民医院（LYG-DY），逾期5项：" in digest.body
