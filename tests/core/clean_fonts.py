"""Draw in a child Python that sees no font but matplotlib's own, and report every fallback.

The child gets an empty ``MPLCONFIGDIR`` (so matplotlib rebuilds its font list),
``MPL_IGNORE_SYSTEM_FONTS`` and an empty fontconfig configuration (so neither the system's font
folders nor ``fc-list`` add anything to that list; the variable is dropped once the list is
built, as it would also keep family look-ups from fonts added later), and a fresh ``HOME``. It
checks that the font list holds matplotlib's bundled fonts only, runs the caller's drawing
code, and reports every "Glyph … missing from font(s)" warning and "findfont: … not found"
message, from warnings and from logging alike. A control draws Chinese in DejaVu Sans, to show that a fallback is seen.

For matplotlib only: Pillow (the 督办榜) opens the shipped font by its path and never looks a
font up, so hiding the system's fonts changes nothing there; what it lacks is checked against
the font's character map instead (tests/core/test_fonts.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

_PRELUDE = """
import json, logging, os, warnings
from pathlib import Path

import matplotlib
from matplotlib import font_manager

# The font list is built: from now on matplotlib would look families up among its bundled
# fonts only, even fonts added later, and the shipped font would never be found by family.
os.environ.pop("MPL_IGNORE_SYSTEM_FONTS")
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

bundled = Path(matplotlib.get_data_path()).resolve()
foreign = sorted(
    entry.fname
    for entry in font_manager.fontManager.ttflist
    if not Path(entry.fname).resolve().is_relative_to(bundled)
)
messages = []


class Keep(logging.Handler):
    def emit(self, record):
        messages.append(record.getMessage())


logging.getLogger("matplotlib").addHandler(Keep())
logging.getLogger("matplotlib").setLevel(logging.INFO)


def fallbacks(draw):
    del messages[:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = draw()
    seen = [str(w.message) for w in caught] + list(messages)
    return result, [m for m in seen if "missing from font" in m or "not found" in m]


def control():
    figure = Figure(figsize=(3, 1))
    FigureCanvasAgg(figure)
    figure.text(0.1, 0.5, "督办榜", fontproperties=FontProperties(family="DejaVu Sans"))
    figure.canvas.draw()
"""

_EPILOGUE = """
png, drawn = fallbacks(draw)
_, controlled = fallbacks(control)
print(json.dumps({
    "foreign": foreign,
    "fallbacks": drawn,
    "control": controlled,
    "png": len(png) if isinstance(png, bytes) else None,
    "signature": png[:8].hex() if isinstance(png, bytes) else None,
}))
"""


def draw_in_clean_fonts(draw_source: str, folder: Path) -> dict[str, Any]:
    """Run ``draw_source`` (it defines ``draw()``, returning PNG bytes) in the clean child."""
    config = folder / "mplconfig"
    config.mkdir()
    fontconfig = folder / "fonts.conf"
    fontconfig.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n', encoding="utf-8")
    home = folder / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "MPLCONFIGDIR": str(config),
        "MPLBACKEND": "Agg",
        "MPL_IGNORE_SYSTEM_FONTS": "1",
        "FONTCONFIG_FILE": str(fontconfig),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    script = _PRELUDE + textwrap.dedent(draw_source) + _EPILOGUE
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report
