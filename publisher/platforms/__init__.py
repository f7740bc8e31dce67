"""Platform adapters: one module per platform, one contract (``base.py``), one registry."""
