"""``python -m kpidsl.lsp``: serve over standard input and output (what ``kpi lsp`` runs); without
the ``lsp`` extra, say how to install it and exit with code 2."""

import sys

try:
    from .server import main
except ImportError as exc:
    if not exc.name or exc.name.split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
        raise
    print(f"kpi: the language server needs the `lsp` extra ({exc.name} is not installed): "
          "pip install 'kpidsl[lsp]'", file=sys.stderr)
    sys.exit(2)

main()
