"""The officer's web app (FastAPI + Jinja2 + htmx): see :mod:`publisher.web.app`."""
