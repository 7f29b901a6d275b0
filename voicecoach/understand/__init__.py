"""Understanding: the intents data and what a transcript means."""
