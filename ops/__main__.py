"""`python -m ops`."""

from ops.cli import app

app()
