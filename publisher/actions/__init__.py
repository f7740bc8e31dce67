"""One door per use case: plain functions taking the store and the settings.

The command line, the web app and the Celery tasks each parse their input, call an action and
render its result; the rules (who may approve, what an edit voids) live here or in
:mod:`publisher.core`, never in a command or a template.
"""
