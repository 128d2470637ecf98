"""Surfaces: CLI, Slack bot, terminal chat, weekly summary. They render answers; they never run SQL."""
