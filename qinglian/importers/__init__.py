"""Importers for the exchange files (units, cadres): validate the whole file, then upsert."""

from qinglian.importers.cadres import CADRE_COLUMNS, import_cadres
from qinglian.importers.units import UNIT_COLUMNS, import_units
from qinglian.tabular import ImportReport

__all__ = ["CADRE_COLUMNS", "UNIT_COLUMNS", "ImportReport", "import_cadres", "import_units"]
