"""`qinglian portal`: the units' web portal (网络直报), served by uvicorn.

Sessions live in the database, so any of several workers serves any request; behind a reverse
proxy the portal trusts its ``X-Forwarded-*`` headers (from ``--forwarded-allow-ips`` only) and
builds its links and cookie paths under ``--root-path``.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer
import uvicorn

from qinglian.cli.common import console, friendly
from qinglian.cli.database import DatabaseGroup
from qinglian.cli.usage import BadValue

app = typer.Typer(cls=DatabaseGroup)

APP_FACTORY = "qinglian.portal.app:create_app"
MOST_WORKERS = 64
_ROOT_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")


def _port(text: str | int) -> int:
    if isinstance(text, int):
        return text
    digits = text.strip()
    if not re.fullmatch(r"[0-9]{1,5}", digits) or not 1 <= int(digits) <= 65535:
        raise BadValue(
            f"端口应为 1 到 65535 之间的整数，而不是「{text}」",
            f"the port must be a whole number from 1 to 65535, not {text!r}",
        )
    return int(digits)


def _workers(text: str | int) -> int:
    if isinstance(text, int):
        return text
    digits = text.strip()
    if not re.fullmatch(r"[0-9]{1,2}", digits) or not 1 <= int(digits) <= MOST_WORKERS:
        raise BadValue(
            f"进程数应为 1 到 {MOST_WORKERS} 之间的整数，而不是「{text}」",
            f"--workers must be a whole number from 1 to {MOST_WORKERS}, not {text!r}",
        )
    return int(digits)


def _root_path(text: str) -> str:
    if text in ("", "/"):
        return ""
    path = text.rstrip("/")
    if not _ROOT_PATH.fullmatch(path):
        raise BadValue(
            f"根路径应形如 /qinglian（以 / 开头的路径），而不是「{text}」",
            f"the root path must look like /qinglian (a path starting with /), not {text!r}",
        )
    return path


@app.command("portal")
@friendly
def portal(
    host: Annotated[str, typer.Option(help="监听地址 address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(parser=_port, metavar="PORT", help="端口 port")] = 8600,
    root_path: Annotated[
        str,
        typer.Option(
            "--root-path",
            parser=_root_path,
            metavar="/PREFIX",
            help="反向代理下的路径前缀 the path prefix behind a reverse proxy",
        ),
    ] = "",
    workers: Annotated[
        int,
        typer.Option(parser=_workers, metavar="N", help="工作进程数 worker processes"),
    ] = 1,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            "--forwarded-allow-ips",
            help="信任其 X-Forwarded-* 头的代理地址（逗号分隔）/ proxies whose "
            "X-Forwarded-* headers are trusted (comma-separated)",
        ),
    ] = "127.0.0.1",
) -> None:
    """运行单位网络直报门户 / serve the units' web portal."""
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"网络直报门户 portal: http://{shown}:{port}{root_path}/login（Ctrl+C 停止 / to stop）",
        soft_wrap=True,
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        root_path=root_path,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )
