"""``python -m supervision_core.cli``: the same as ``supdesk`` (handy with ``-X importtime``)."""

from supervision_core.cli import main

main()
