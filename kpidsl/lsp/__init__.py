"""The language server for ``.kpi`` files (``kpi lsp``): diagnostics, hover, navigation, completion,
outline, folding, formatting, code actions and inlay hints, over the Language Server Protocol.

It needs the ``lsp`` extra (``pip install 'kpidsl[lsp]'``: pygls and lsprotocol); nothing else in
kpidsl imports this package. ``python -m kpidsl.lsp`` runs it, and ``kpi lsp`` runs that.
"""
