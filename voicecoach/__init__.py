"""voicecoach: an offline, voice-first exercise coach for people with multiple sclerosis."""

__version__ = "0.1.0"
