"""Status back to everyone: SMS to patients, webhooks to client systems."""
