"""`qinglian demo` end to end: the tree imported, the campaign launched, each phase in turn."""

from __future__ import annotations

import random

from rich.console import Console

from qinglian.campaigns.launch import launch_campaign
from qinglian.core import db
from qinglian.core.settings import get_settings
from qinglian.demo.accounts import accounts_table, demo_accounts
from qinglian.demo.context import DemoRun
from qinglian.demo.mobilize import due_items
from qinglian.demo.steps_find import find_phase
from qinglian.demo.steps_mobilize import mobilize_phase
from qinglian.demo.steps_rectify import rectify_phase
from qinglian.demo.steps_summarize import summarize_phase
from qinglian.demo.timeline import (
    FIND_AS_OF,
    MOBILIZE_AS_OF,
    RECTIFY,
    ROOT,
    SEED,
    SUMMARIZE_AS_OF,
    TEMPLATE,
)
from qinglian.demo.tree import demo_cadres, demo_units, write_csv, write_units_xlsx
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import import_units


def run_demo(console: Console) -> None:
    """Build the tree, launch the 2012 campaign on it and run its four phases, printing each."""
    settings = get_settings()
    rng = random.Random(SEED)
    folder = settings.home / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    units_path = folder / "units.xlsx"
    cadres_path = folder / "cadres.csv"
    units = demo_units()
    cadres = demo_cadres(units, rng)
    write_units_xlsx(units, units_path)
    write_csv(cadres, cadres_path)

    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        import_units(session=session, path=units_path)
        import_cadres(session=session, path=cadres_path)
        campaign, created = launch_campaign(session=session, template_key=TEMPLATE, root_code=ROOT)
        assert campaign.id is not None
        campaign_id = campaign.id
        already_ran = not created and campaign.completed_on is not None
        mobilize_dues = due_items(session, campaign_id, "mobilize")
        find_dues = due_items(session, campaign_id, "find")
    if already_ran:
        # Its files were imported and its phases run already: running them again would amend
        # every form without a reason. Say so and where to look; the accounts are reset.
        console.print(
            f"专项活动 campaign {campaign_id}（{TEMPLATE}）已于 {campaign.completed_on} 运行完毕，"
            f"不再重复 / this campaign already ran in this home: "
            f"qinglian status {campaign_id} --as-of {SUMMARIZE_AS_OF}"
        )
        _print_accounts(console)
        return
    console.print(
        f"专项活动 campaign {campaign_id}: {campaign.title}；{len(units)} 个单位 units，"
        f"{len(cadres)} 名适用对象 in-scope cadres"
    )
    run = DemoRun(console=console, campaign_id=campaign_id, folder=folder, rng=rng)
    # The portal shows the campaign as of the day the demo has reached.
    run.stand_on(campaign.start_on)
    mobilize_phase(run, mobilize_dues, campaign.start_on, len(units))
    run.stand_on(MOBILIZE_AS_OF[-1])
    find_phase(run, cadres, units, find_dues, campaign.start_on)
    run.stand_on(FIND_AS_OF[-1])
    rectify_phase(run)
    run.stand_on(RECTIFY.end)
    reports = summarize_phase(run)
    run.stand_on(SUMMARIZE_AS_OF)
    console.print(
        f"\n数据库 database: {settings.effective_database_url}\n"
        f"导入文件 input files: {folder}\n"
        f"查看进度 status: qinglian status {campaign_id} --as-of {SUMMARIZE_AS_OF}\n"
        f"问题线索 findings: qinglian findings list {campaign_id}\n"
        f"整改台账 rectification: qinglian rectify list {campaign_id}\n"
        f"阶段性总结 summaries: qinglian summary show {campaign_id} --unit JS-LYG\n"
        f"下级单位报告 a subtree's report: qinglian report {campaign_id} --unit JS --format md\n"
        "Prefect 界面 UI: run `.venv/bin/prefect server start`, then open "
        "http://127.0.0.1:4200/runs (flow runs 「动员部署 · …」「查找问题 · …」「整改纠正 · …」"
        "「检查总结 · …」 and their artifacts)"
    )
    console.print("\n书面综合情况报告 the comprehensive report:")
    for path in reports:
        console.print(f"  {path}")
    _print_accounts(console)


def _print_accounts(console: Console) -> None:
    """The demo's portal accounts, made (or reset) now, and how to sign in with them."""
    with db.session_scope() as session:
        accounts = demo_accounts(session=session)
    console.print()
    console.print(accounts_table(accounts))
    console.print(
        f"网络直报门户 portal: run `qinglian portal`, then open http://127.0.0.1:8600/login "
        f"(as of {SUMMARIZE_AS_OF}; sign in with an account above; "
        "accounts: qinglian users list)",
        soft_wrap=True,
    )
