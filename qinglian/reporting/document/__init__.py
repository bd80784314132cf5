"""The written comprehensive report (书面综合情况报告): charts, Markdown, Word and PDF.

``data`` collects the figures (a ``models.report.ReportData``) and ``charts`` draws them as PNG;
``sections`` composes the text once, from blocks (``blocks``) worded by ``phrasing`` and
``outlook``; ``markdown`` and ``word`` (with ``word_style``, after GB/T 9704) lay it out, ``pdf``
turns Word into PDF with LibreOffice, and ``render.write_report`` does all of it for one output
file. ``files`` says where reports go.
"""
