"""Results to text: findings, evaluations, trees, and the canonical formatter."""
