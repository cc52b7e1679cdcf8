"""The telephony link on the dispatcher's side: caller cards, the call sink, desk pages."""
