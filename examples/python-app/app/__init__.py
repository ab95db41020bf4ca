"""distill's example Python service: standard library only."""

__version__ = "1.0.0"
