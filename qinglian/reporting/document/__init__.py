"""The written comprehensive report (书面综合情况报告): charts, Markdown, Word and PDF.

``data`` collects the figures (a ``models.report.ReportData``) and ``charts`` draws them as PNG;
``sections`` composes the text once, from blocks (``blocks``) worded by ``phrasing`` and
``outlook``, with the reminders counted by ``reminders``; ``markdown`` and ``word`` (with
``word_style``, after GB/T 9704) lay it out, the Word body inside a 公文 frame (``frame``: the
built-in ``templates/gongwen.docx`` or the office's own), ``pdf`` turns Word into PDF with
LibreOffice, and ``render.write_report`` does all of it for one output file. ``files`` says
where reports go.
"""
