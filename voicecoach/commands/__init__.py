"""One module per subcommand; see voicecoach.cli."""
