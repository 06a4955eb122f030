"""Hostile and broken input files, built in code (see cases.py)."""
