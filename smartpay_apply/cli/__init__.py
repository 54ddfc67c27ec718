"""Command-line interface: thin click commands that parse, call the engine, and print."""
