"""Storage: SQLAlchemy tables and the stores that turn rows into domain objects."""
