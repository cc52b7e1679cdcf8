"""The dispatcher web service: API, storage, lifecycle services and the event outbox."""
