"""One Router per module; `bots.app.setup()` registers them in order."""
