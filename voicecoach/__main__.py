"""`python -m voicecoach` is the same as the `voicecoach` command."""

from voicecoach.app.cli import main

raise SystemExit(main())
