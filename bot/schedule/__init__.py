"""Scheduled practice prompts, reveals and reminders."""
