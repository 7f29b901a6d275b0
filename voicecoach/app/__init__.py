"""The application shell: session loop, runtime, typed sessions, config and CLI."""
