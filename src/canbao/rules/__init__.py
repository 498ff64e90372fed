"""Pure rules: (facts, policy) → Decision with rule ids, citations and an explanation."""
