"""kpidsl: a declarative language for KPI trees — parse, check and evaluate ``.kpi`` files.

The public API::

    tree = kpidsl.parse(text, path=None)       # syntax tree with source spans
    model = kpidsl.load("examples/ecommerce.kpi")   # compiled model
    findings = kpidsl.check(model)              # list of Finding
    result = kpidsl.evaluate(model, {"orders": 1150, ...})   # Evaluation

Errors are ``KpiError`` exceptions that carry findings.
"""

__version__ = "0.1.0"

# Names are imported on first use, so that `kpi` loads only what a command needs.
_EXPORTS = {
    "parse": "api", "load": "api", "load_text": "api", "compile_text": "api", "check": "api",
    "evaluate": "api", "Evaluation": "evaluation.results", "IndicatorResult": "evaluation.results",
    "MissingValues": "evaluation.results", "Finding": "errors", "KpiError": "errors", "Span": "errors",
    "Model": "compiler.model", "evaluate_series": "api", "evaluate_rows": "api", "scenario_periods": "api",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kpidsl' has no attribute {name!r}")

__all__ = [
    "parse", "load", "load_text", "compile_text", "check", "evaluate", "evaluate_series", "evaluate_rows",
    "scenario_periods",
    "Finding", "KpiError", "MissingValues", "Span", "Model", "Evaluation", "IndicatorResult",
    "__version__",
]
