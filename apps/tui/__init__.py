"""The terminal chat (Textual): ask cost questions, see the rows, SQL, freshness and a chart behind each
answer. Entry point: `finops chat` (apps/cli/commands/chat.py) -> `apps.tui.app.ChatApp`."""
