"""``python -m squall.cli``: the same as the ``squall`` command."""

from squall.cli import main

main(prog_name="squall")
