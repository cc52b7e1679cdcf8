"""Application services: intake, lifecycle, events, accounts, reference import."""
