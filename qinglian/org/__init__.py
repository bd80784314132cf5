"""The organisational tree (单位) and its cadres (干部): reading the tree, and importing the unit
and cadre exchange files.

Modules:

- ``import_cadres``: Import in-scope cadres (适用对象) from an XLSX or CSV file: validate all, then
  upsert.
- ``import_units``: Import the organisational tree (单位) from an XLSX or CSV file: validate all, then
  upsert.
- ``reply_tokens``: A unit's reply token (回复码): how a returned mail says which unit it comes
  from.
- ``unit_cells``: Cell parsers for the unit file: 层级, 类型, 简称, e-mail addresses, notification
  targets and the contacts' mobile numbers.
- ``units``: Reading the org tree: lookups by code or id, subtrees by materialised path, ancestors.
"""
