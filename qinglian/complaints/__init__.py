"""信访举报: intake and parsing, the encrypted store, matching a complaint to cadres (or to the
unit it names alone), one matter by two channels, the cross-check against declarations, the
verifying office's cases and receipts.

Modules:

- ``audit``: The audit trail of complaints: events without plaintext, and the times decisions carry.
- ``cases``: Verification cases (核实): the outcome a discipline office records, and reading a case.
- ``crosscheck``: The cross-check (比对): each matched complaint's allegation against the cadre's
  declaration.
- ``crypto``: Encryption of complaint text and contact (Fernet) and a keyed digest for finding
  duplicates.
- ``import_complaints``: Import complaints (信访举报) from an XLSX or CSV file: validate all, then store
  and match.
- ``intake``: Intake (受理): a complaint stored encrypted, given a receipt and linked to its copies.
- ``link_review``: The human side of linking: the proposals of one matter by two channels, and the
  decision.
- ``linking``: One matter by two channels: the link rule, and the proposals matching makes for a
  person.
- ``matching``: Matching complaints to cadres, within the unit a complaint names or the whole
  campaign.
- ``parsing``: A complaint as read in: its channel and category parsed, its checks, the keys it is
  known by.
- ``review``: The human side of matching: the queue of complaints waiting for a person, and the
  decision.
- ``store``: Row plumbing the complaint modules share: bulk inserts and updates by id.
- ``views``: What leaves the complaints package: counts and views; only a case's detail carries the
  text.
- ``visibility``: What others may see: a complainant's status by receipt code, and counts only.
"""
