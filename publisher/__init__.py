"""publisher: a self-hosted scheduler for Zalo OA, Facebook Pages and YouTube."""

__version__ = "0.1.0"
