"""The telephony link on the dispatcher's side: call events and desk commands shared with the
AMI listener, caller cards, the call sink, desk pages."""
