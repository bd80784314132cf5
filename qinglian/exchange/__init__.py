"""Reading the exchange files (XLSX and CSV, in the encodings offices use) and the one import
pipeline every importer shares: read → validate → check → apply, with bilingual row errors and
quarantine of rejected rows.
"""
