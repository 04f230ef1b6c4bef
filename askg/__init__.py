"""askg: the Action Semantic Knowledge Graph side of the STDD toolkit (never imports torch)."""

__version__ = "0.1.0"
