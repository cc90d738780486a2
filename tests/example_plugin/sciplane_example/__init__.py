"""A minimal third-party sciplane plugin: notes, a JSON-lines parser and a greeting command."""
