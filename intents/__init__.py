"""Phrase data for the intent matcher and recognizers (installed as voicecoach.phrases)."""
