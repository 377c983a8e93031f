"""Model to results: the evaluation plan, its scalar and array runtimes, and the expect runner."""
