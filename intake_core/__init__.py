"""The intake domain: calls, patients, rules and lifecycle; no web, bot, telephony or queue code."""
