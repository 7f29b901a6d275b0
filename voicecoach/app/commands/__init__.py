"""One module per subcommand; see voicecoach.app.cli."""
