"""One router module per resource, as in the full-stack FastAPI template's ``api/routes``."""
