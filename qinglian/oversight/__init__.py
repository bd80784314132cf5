"""督办: where a campaign stands on ``as_of``, the open items, who the escalation ladder reaches,
the digests it writes, and the outbox that delivers them exactly once.

Modules:

- ``active_campaigns``: Which campaigns the daily sweep covers when none is named: every active
  one on ``as_of``.
- ``board``: The daily 督办榜: each child unit of a recipient's subtree, red, amber or green by its
  overdue and missing counts, drawn as a picture.
- ``board_picture``: The 督办榜's picture: a board laid out, then drawn with Pillow.
- ``board_outbox``: Queuing the 督办榜 for every recipient of a sweep, as its channel takes it.
- ``campaign_rules``: The campaign's escalation ladder and lagging thresholds, read from its
  template.
- ``delivery``: Delivery: sending what the outbox holds, each digest once, whatever crashes in
  between.
- ``digest_parts``: A digest too long for its channel, cut into parts: at unit blocks, else at
  item lines.
- ``digest_sections``: What a digest says before it is rendered: its sections by urgency, each
  unit's block, and whose mobile is @-mentioned.
- ``digests``: The digests: one message per target, its notices grouped by audience then unit
  (督办通知), composed for the target's channel.
- ``hooks``: Named points in a sweep and a delivery where tests inject crashes.
- ``lagging``: Lagging units (工作滞后或问题较多): units over the campaign template's thresholds on
  ``as_of``.
- ``notices``: What is due to whom: the ladder applied to a campaign's open items, one notice per
  target.
- ``open_items``: Every kind of deadline a campaign has, as one :class:`OpenItem` per thing a unit
  owes.
- ``outbox``: The outbox: a sweep writes digests, delivery sends them; no item-step is ever told
  twice.
- ``recipients``: Who is told: each unit's notification targets, and the audience of a step resolved
  to them.
- ``tracking``: Where a campaign stands on ``as_of``: each unit's deliverables and the subtree
  roll-up.
"""
