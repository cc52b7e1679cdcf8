"""HTTP API of the dispatcher (FastAPI)."""
