"""``python -m idp``: the ``idp`` command."""

from .cli import main

main()
