# Convenience aliases for the scripts the README documents.
.PHONY: run test lint bench
run:
	scripts/run
test:
	scripts/test
lint:
	.venv/bin/ruff check . && .venv/bin/mypy
bench:
	.venv/bin/python bench/actors.py
