"""`python -m voicecoach` is the same as the `voicecoach` command."""

from voicecoach.cli import main

raise SystemExit(main())
