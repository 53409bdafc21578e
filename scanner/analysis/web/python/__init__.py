"""Web configuration in Python: Starlette/FastAPI, flask-cors, django-cors-headers, hand-written headers."""
