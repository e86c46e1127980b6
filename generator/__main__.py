"""`python -m generator` runs the scaffold CLI."""

from generator.cli import main

main()
