"""What a campaign office sees in the Prefect UI: run the demo against a Prefect server and
screenshot the pages with headless Chromium.

    .venv/bin/python scripts/ui_snapshot.py [--port 4300] [--skip-demo]

Starts `prefect server start` on 127.0.0.1:PORT (its own PREFECT_HOME under QINGLIAN_HOME, so
the embedded demo's ephemeral database is not touched), runs `qinglian demo` against it, then
saves PNGs of the flow-run list, the summarize phase's run, the find phase's nested unit runs,
the artifacts page and the final report's artifact to QINGLIAN_HOME/screenshots/.
Needs Debian's `chromium` and `fonts-noto-cjk` (without the fonts every Chinese character is a box).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from qinglian.core.settings import get_settings

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--virtual-time-budget=20000",
    "--hide-scrollbars",
    "--window-size=1600,1100",
)
PREFECT_SERVER = (sys.executable, "-m", "prefect", "server", "start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4300)
    parser.add_argument("--skip-demo", action="store_true", help="screenshot what is there")
    args = parser.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("需要 chromium：apt-get install chromium fonts-noto-cjk / chromium is not installed")
        return 2
    home = get_settings().home.resolve()
    shots = home / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    ui = f"http://127.0.0.1:{args.port}"
    api = f"{ui}/api"
    env = os.environ | {
        "PREFECT_HOME": str(home / "prefect-ui"),
        "PREFECT_API_URL": api,
        # The UI served on a port other than 4200 must be told where its API is.
        "PREFECT_UI_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    server = subprocess.Popen(
        [*PREFECT_SERVER, "--host", "127.0.0.1", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(api)
        if not args.skip_demo:
            qinglian = Path(sys.executable).with_name("qinglian")
            subprocess.run([str(qinglian), "demo"], env=env, check=True)
        pages = _pages(api, ui)
        for name, url in pages.items():
            target = shots / f"{name}.png"
            subprocess.run(
                [chromium, *CHROMIUM_FLAGS, f"--screenshot={target}", url],
                check=True,
                capture_output=True,
                timeout=120,
            )
            print(f"{target}  ←  {url}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


def _wait(api: str) -> None:
    for _ in range(120):
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("Prefect 服务未能启动 / the Prefect server did not start")


def _pages(api: str, ui: str) -> dict[str, str]:
    """The pages to shoot: runs, the summarize and find phase runs (graph, nested unit runs,
    artifacts), the artifacts page, the final report and the find phase's summary."""
    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={"sort": "START_TIME_DESC", "limit": 200, "flows": {"name": {"any_": ["phase"]}}},
        timeout=30,
    ).json()
    pages = {"01-runs": f"{ui}/runs"}
    summarize = next((run for run in runs if run["name"].startswith("检查总结")), None)
    find = next((run for run in runs if run["name"].startswith("查找问题")), None)
    if summarize is not None:
        pages["02-summarize-run"] = f"{ui}/runs/flow-run/{summarize['id']}"
    if find is not None:
        pages["03-find-run"] = f"{ui}/runs/flow-run/{find['id']}"
    # A province's and a hospital's unit runs: their graphs show their children's runs, the
    # org tree one level down (the unit code in each name is what the graph can draw).
    for prefix, name in (
        ("04-province-run", "查找问题 · 江苏省卫生厅 · JS"),
        ("04-hospital-run", "查找问题 · 连云港市妇幼保健院 · JS-LYG-FB"),
    ):
        found = httpx.post(
            f"{api}/flow_runs/filter",
            json={"sort": "START_TIME_DESC", "limit": 1, "flow_runs": {"name": {"any_": [name]}}},
            timeout=30,
        ).json()
        if found:
            pages[prefix] = f"{ui}/runs/flow-run/{found[0]['id']}"
    pages["05-artifacts"] = f"{ui}/artifacts"
    artifacts = httpx.post(
        f"{api}/artifacts/filter",
        json={"sort": "CREATED_DESC", "limit": 200, "artifacts": {"key": {"like_": "summar"}}},
        timeout=30,
    ).json()
    artifacts += httpx.post(
        f"{api}/artifacts/filter",
        json={"sort": "CREATED_DESC", "limit": 50, "artifacts": {"key": {"like_": "report"}}},
        timeout=30,
    ).json()
    for prefix, suffix in (("06-report", "-report-text"), ("07-find-summary", "-find-summary")):
        artifact = next(
            (item for item in artifacts if (item.get("key") or "").endswith(suffix)), None
        )
        if artifact is not None:
            pages[prefix] = f"{ui}/artifacts/artifact/{artifact['id']}"
    return pages


if __name__ == "__main__":
    sys.exit(main())
