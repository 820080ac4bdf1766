"""Placeholder until written."""

COMMANDS: list = []
