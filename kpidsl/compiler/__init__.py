"""Syntax tree to model: the compiler's passes, the model, and the formula type checker."""
