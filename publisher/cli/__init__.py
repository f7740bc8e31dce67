"""The ``publisher`` command line."""
