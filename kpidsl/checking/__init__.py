"""Model to findings: the rule registry, KPI practice checks, configuration and noqa."""
