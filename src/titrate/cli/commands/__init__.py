"""One module per command; each defines `app`, a Typer holding that one command."""
