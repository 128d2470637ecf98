"""The `finops` command line (Typer + Rich)."""
