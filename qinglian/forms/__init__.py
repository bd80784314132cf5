"""The report form (《报告表》): its exchange format and the unit's template.

The import lives with the other importers: ``qinglian.importers.forms.import_forms``.
"""

from qinglian.forms.columns import SECTIONS, Section, section_for_sheet
from qinglian.forms.workbook import inspect_workbook, write_form_template

__all__ = ["SECTIONS", "Section", "inspect_workbook", "section_for_sheet", "write_form_template"]
