"""Allow `python -m scholarbot`."""

from scholarbot.cli import app

app()
