"""The `striate` command line: one module per command."""
