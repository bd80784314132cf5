"""Drawing the 督办榜: milliseconds per picture, as a national sweep draws ~10,000 of them.

    .venv/bin/python benchmarks/board_render.py [BOARDS] [--save FOLDER]

For 0, 13, 50 and 200 child units, draws BOARDS different boards (40 by default) with
``render_board``, each with fresh unit names (two hanzi drawn from GB 2312's 3,755 common ones
and a suffix such as 人民医院 or 卫生局) and counts spread over red, amber and green, so nothing
is drawn twice. Prints, per size:
  - the first pass over the boards (the glyph cache filling up: every new hanzi is rasterised
    once per size and process) and a second pass over the same boards (warm: what most of a
    sweep's boards cost), each as mean / median / max milliseconds per picture;
  - the PNG's height and its size in KiB (mean and max).
Before that, the very first picture of the process (loading the font and its character map).
Targets (on 2 shared cores): a 13-child board ≤ 20 ms, a 200-child board ≤ 60 ms, warm.
Figures are printed, not asserted. ``--save`` writes the first board of each size as a PNG.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qinglian.oversight.board import MAX_ROWS, Board, BoardRow, Counts  # noqa: E402
from qinglian.oversight.board_picture import render_board  # noqa: E402

SIZES = (0, 13, 50, 200)
AS_OF = date(2012, 9, 20)
SUFFIXES = (
    "市卫生局",
    "县卫生局",
    "人民医院",
    "中医医院",
    "妇幼保健院",
    "疾病预防控制中心",
    "卫生院",
    "社区卫生服务中心",
    "第一人民医院骨科",
    "医学院附属医院心血管内科介入治疗中心",
)
TARGETS = {13: 20.0, 200: 60.0}


def _common_hanzi() -> list[str]:
    """GB 2312's level-1 hanzi (rows 16–55), the 3,755 in common use."""
    chars = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def _boards(children: int, count: int, hanzi: list[str], rng: random.Random) -> list[Board]:
    boards = []
    for number in range(count):
        rows = []
        for index in range(children):
            name = "".join(rng.choices(hanzi, k=2)) + rng.choice(SUFFIXES)
            weights = rng.choices((0, 1, 2, 3, 5), weights=(5, 2, 1, 1, 1), k=2)
            rows.append(BoardRow(f"U{number}-{index}", name, Counts(*weights)))
        own_name = "".join(rng.choices(hanzi, k=2)) + "市卫生局"
        own = BoardRow(f"U{number}", own_name, Counts(rng.randint(0, 2), rng.randint(0, 1)), True)
        rows.sort(key=lambda row: (row.colour != "red", row.colour != "amber", -sum(row.counts)))
        boards.append(Board(number, own_name, AS_OF, own, tuple(rows)))
    return boards


def _pass(boards: list[Board]) -> tuple[list[float], list[bytes]]:
    times, pngs = [], []
    for board in boards:
        started = time.perf_counter()
        pngs.append(render_board(board))
        times.append((time.perf_counter() - started) * 1000)
    return times, pngs


def _figures(times: list[float]) -> str:
    mean, median = statistics.fmean(times), statistics.median(times)
    return f"{mean:6.1f} / {median:6.1f} / {max(times):6.1f} ms"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("boards", nargs="?", type=int, default=40)
    parser.add_argument("--save", type=Path, help="write the first board of each size here")
    args = parser.parse_args()
    rng = random.Random(20120920)
    hanzi = _common_hanzi()
    print(f"load average before: {_load()} (2 cores, shared)")

    started = time.perf_counter()
    render_board(_boards(1, 1, hanzi, rng)[0])
    print(f"first picture of the process (font, character map): {_elapsed(started):.0f} ms")
    print(f"{args.boards} boards a size, at most {MAX_ROWS} rows drawn; mean / median / max")
    print(f"{'children':>8}  {'first pass':<26}  {'warm':<26}  {'height':>6}  {'PNG KiB':>14}")
    for children in SIZES:
        boards = _boards(children, args.boards, hanzi, rng)
        first, _ = _pass(boards)
        warm, pngs = _pass(boards)
        height = Image.open(io.BytesIO(pngs[0])).size[1]
        sizes = [len(png) / 1024 for png in pngs]
        target = f"  (target ≤ {TARGETS[children]:.0f} ms)" if children in TARGETS else ""
        print(
            f"{children:>8}  {_figures(first):<26}  {_figures(warm):<26}  {height:>6}  "
            f"{statistics.fmean(sizes):6.1f} / {max(sizes):5.1f}{target}"
        )
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"board_{children}.png").write_bytes(pngs[0])
    print(f"load average after: {_load()}")


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
