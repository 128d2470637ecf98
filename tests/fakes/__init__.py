"""Test doubles that are real servers: a loopback OpenAI-compatible chat-completions server."""
