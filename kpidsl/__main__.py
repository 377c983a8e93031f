"""``python -m kpidsl``: the same as the ``kpi`` command."""

from .cli.commands import main

if __name__ == "__main__":
    main()
