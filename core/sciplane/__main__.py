"""``python -m sciplane`` runs the command line."""

from .cli import main

main()
