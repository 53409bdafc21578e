"""Web configuration read from code, one model per setting (CORS policies, log calls); per-language leaves."""
