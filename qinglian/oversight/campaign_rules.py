"""The campaign's escalation ladder and lagging thresholds, read from its template."""

from __future__ import annotations

from models.campaign import Campaign
from qinglian.campaigns.templates import all_templates
from qinglian.rules.ladder import DEFAULT_LADDER, Ladder, LaggingThresholds


def campaign_ladder(campaign: Campaign) -> Ladder:
    """The template's ladder, or the default one."""
    template = all_templates().get(campaign.template_key)
    if template is None or template.ladder is None:
        return DEFAULT_LADDER
    return template.ladder.ladder()


def campaign_lagging_thresholds(campaign: Campaign) -> LaggingThresholds:
    """When a unit of the campaign counts as lagging: the template's thresholds, or the defaults."""
    template = all_templates().get(campaign.template_key)
    if template is None or template.lagging is None:
        return LaggingThresholds()
    return template.lagging
