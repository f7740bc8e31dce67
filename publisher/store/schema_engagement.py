"""Tables of the engagement log (snapshots) and of alerts. Filled in by the engagement work."""

from __future__ import annotations
