"""Routes in Python: Flask/Quart, FastAPI/Starlette, Django/DRF, connexion/OpenAPI."""
