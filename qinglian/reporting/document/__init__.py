"""The written comprehensive report (书面综合情况报告): charts, Markdown, Word and PDF.

``charts`` draws the PNG charts from a ``models.report.ReportData``; ``render`` lays the report
out as Markdown or Word, turns Word into PDF with LibreOffice, and ``render.write_report`` does
all of it for one output file.
"""
