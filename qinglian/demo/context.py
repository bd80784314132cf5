"""What one demo run carries from phase to phase, and the step every phase ends with."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console

from qinglian.campaigns.lookup import get_campaign
from qinglian.core import db
from qinglian.demo.summarize import demo_narratives, write_narratives_xlsx
from qinglian.reporting.import_narratives import import_narratives


@dataclass(frozen=True)
class DemoRun:
    """The console printed to, the campaign launched, the folder of input files, the dice."""

    console: Console
    campaign_id: int
    folder: Path
    rng: random.Random

    def import_narratives(self, phase_key: str, as_of: date) -> None:
        """Units write the phase's summary (阶段性总结) and submit it upward, as a file."""
        path = self.folder / f"{phase_key}_summaries.xlsx"
        with db.session_scope() as session:
            rows = demo_narratives(session, self.campaign_id, (phase_key,), as_of, self.rng)
        write_narratives_xlsx(rows, path)
        with db.session_scope() as session:
            import_narratives(session=session, campaign_id=self.campaign_id, path=path, as_of=as_of)

    def stand_on(self, day: date) -> None:
        """The campaign stands on the demo's day: the portal shows it as of this day."""
        with db.session_scope() as session:
            campaign = get_campaign(session=session, campaign_id=self.campaign_id)
            campaign.simulated_as_of = day
            session.add(campaign)
