"""Reports an officer reads: the weekly review (``weekly``) and its renderings (CSV, XLSX, HTML)."""
