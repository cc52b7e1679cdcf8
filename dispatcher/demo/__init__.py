"""Synthetic demonstration data: a month of invented calls for an MO, so that the head's
analytics can be shown and measured before real calls exist. Nothing here runs in production
paths; `python -m dispatcher demo-month` is its only entry."""
