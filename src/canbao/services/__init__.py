"""Use cases: one function, one transaction (a ``UnitOfWork``); the CLI, the API and the UI
call the same functions."""
