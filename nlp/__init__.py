"""Russian NLP for the intake: addresses, complaints and people, built once and passed in."""
