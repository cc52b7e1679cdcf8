"""SMPP 3.4: the PDUs we need and an asyncio ESME session (bind, submit, receipts)."""
