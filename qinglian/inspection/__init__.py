"""检查组抽查: drawing the inspection sample, recording what the visits found, and the year-end
assessment (年终考核).

Modules:

- ``assessment``: The year-end assessment (年终考核): every unit's figures side by side, and its
  composite score.
- ``assessment_xlsx``: The year-end assessment table written as an .xlsx workbook (年终考核表).
- ``import_results``: Import inspection results (检查组抽查结果) from an XLSX or CSV file: validate all,
  then record.
- ``result_rows``: Validating inspection result rows: each row's cells, then each unit's rows
  together.
- ``results``: Recording an inspection's result: the visit's score, and each problem as a finding to
  rectify.
- ``samples``: The inspection samples (检查组抽查名单): drawing one, once, and listing those drawn.
- ``values``: An inspection result's values as written: the score, a problem's category and
  description.
"""
