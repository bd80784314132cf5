"""The 报告表: its columns and the unit's pre-filled workbook, importing filed forms, the facts
they declare, completeness (expected / received / on time / late / missing), and detection of
the four key problems into findings.
"""
