"""Hearing: audio in, endpointing, denoising, the recognizers and their vocabulary."""
