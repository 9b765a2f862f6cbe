"""`python -m ferroapi run|dev ...`: the `ferroapi` command."""

from ferroapi.cli import main

main()
