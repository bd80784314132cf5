"""Reading the exchange files (XLSX, old XLS and WPS .et workbooks, and CSV in the encodings
offices use) and the one import pipeline every importer shares: read → validate → check →
apply, with bilingual row errors and quarantine of rejected rows.

Modules:

- ``biff_records``: The BIFF records of an old workbook's globals as calamine reads them: records
  and their CONTINUEs, the sheets listed, the lengths of the shared strings.
- ``compound_file``: An OLE2 compound file (the container of .xls, .et, .doc and encrypted .xlsx)
  read strictly: every sector inside the file, every chain walked once.
- ``cells``: Cell parsers: text, codes, dates, yes/no and whole numbers as offices write them in
  Excel; the one pattern of unit codes and 工号, and clean names.
- ``encodings``: A CSV's encoding told, not guessed: the accepted encodings, and the one it looks
  like when refused (charset-normalizer).
- ``legacy``: Reading an Excel 97–2003 .xls or a WPS .et through calamine, its cells as openpyxl
  gives an .xlsx's; an OLE2 file that is no workbook (a Word .doc, an encrypted .xlsx) refused.
- ``output``: Files the project writes: checked first, written whole under a temporary name.
- ``pipeline``: The one import pipeline every single-table importer shares: read → validate → check
  → apply.
- ``quarantine``: Rejecting a file with invalid rows, or quarantining those rows in
  ``<stem>.rejected.csv``.
- ``reading``: Reading an exchange file (XLSX, XLS, WPS .et, or CSV in the encodings offices use)
  into a :class:`TableRead`, the format told by the first bytes; what is not a regular file is
  refused before it is opened.
- ``report``: The outcome of one import: counts per outcome and the rejected rows, in both
  languages.
- ``row_checks``: Checks many importers make on a parsed row: a text's length, a date's window, a
  repeated key.
- ``rows``: One row being parsed: its cells, and every problem kept as a bilingual
  :class:`RowError`.
- ``safe_cells``: Cells written to a spreadsheet (XLSX or CSV) that no spreadsheet reads as a
  formula.
- ``table``: A table read from a file: the columns an importer understands, the header row, the data
  rows.
- ``xls_guard``: An old workbook's BIFF records scanned before calamine reads them, against
  limits on cells, text and size; and what calamine drops (error values, empty formulas) kept.
- ``xlsx_guard``: A workbook's parts scanned while decompressing, against limits on cells, rows,
  sheets and strings: no zip bomb reaches memory.
- ``unit_lookup``: The unit a row names by its 单位编码, which must lie in the campaign's tree.
"""
