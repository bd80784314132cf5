"""The 报告表: its columns and the unit's pre-filled workbook, importing filed forms, the facts
they declare, completeness (expected / received / on time / late / missing), detection of
the four key problems into findings, and the signed paper forms printed from what came in.

Modules:

- ``columns``: The report form's exchange format: one sheet per section, keyed by 工号, Chinese
  headers.
- ``completeness``: Declaration completeness: expected (in-scope cadres), received, on time, late,
  missing.
- ``facts``: The facts of current declarations, as the detection rules read them: by unit or by
  cadre.
- ``findings``: Findings (问题线索) from the declared forms: detect, record, review; list and count.
- ``form_checks``: Checking a file's form rows against each other, the cadre register and the
  campaign.
- ``form_quirks``: Row errors for what a form sheet's values do not show: merged cells, formulas
  without results.
- ``form_rejected``: The rejected rows of every sheet of a form file, in one
  ``<stem>.rejected.csv``.
- ``form_rows``: Parsing one row of a report-form sheet: its cells, its section's fields and its
  canonical form.
- ``form_sources``: Finding and reading the sheets of a returned report form: a workbook, a CSV
  directory or a CSV.
- ``form_writes``: Writing checked forms: each changed form a new current ``Declaration`` version
  with its rows.
- ``import_forms``: Import report forms (《卫生系统领导干部防止利益冲突有关事项报告表》) into a campaign.
- ``print_setup``: Printing a workbook's sheets on A4, and protecting what a cadre must not change.
- ``printable``: The signed paper 报告表: one printable sheet per cadre, laid out like the paper
  form.
- ``printable_layout``: The paper 报告表 on a worksheet: the title, 基本情况, the four sections as
  tables, the pledge and the signature lines.
- ``workbook``: The report-form workbook: a unit's blank template out (what comes back:
  ``workbook_inspection``).
- ``workbook_inspection``: A look inside a returned report-form workbook: what its cell values do
  not show.
"""
