"""Readers and writers of graph files (`askg import` / `askg export`)."""
