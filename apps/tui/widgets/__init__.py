"""Widgets of the terminal chat: the question input, one answer, its charts, the welcome panel."""
