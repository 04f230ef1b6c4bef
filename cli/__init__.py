"""Thin typer front ends: `askg` (knowledge side) and `stdd` (model side)."""
