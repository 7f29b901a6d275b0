"""The voice: speech, tones and the output timeline."""
