"""kpidsl: a declarative language for KPI trees — parse, check and evaluate ``.kpi`` files.

The public API (SPEC §8)::

    tree = kpidsl.parse(text, path=None)       # syntax tree with source spans
    model = kpidsl.load("examples/ecommerce.kpi")   # compiled model
    findings = kpidsl.check(model)              # list of Finding
    result = kpidsl.evaluate(model, {"orders": 1150, ...})   # Evaluation

Errors are ``KpiError`` exceptions that carry findings.
"""

from .api import check, compile_text, evaluate, load, load_text, parse
from .evaluator import Evaluation, IndicatorResult, MissingValues
from .findings import Finding, KpiError, Span
from .model import Model

__version__ = "0.1.0"

__all__ = [
    "parse", "load", "load_text", "compile_text", "check", "evaluate",
    "Finding", "KpiError", "MissingValues", "Span", "Model", "Evaluation", "IndicatorResult",
    "__version__",
]
