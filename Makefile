# Thin targets over scripts/ — the README's two commands are `make demo` and `make test`.
.PHONY: setup demo test lint bench plan

setup:
	scripts/bootstrap.sh

demo: setup
	scripts/build_frontend.sh
	.venv/bin/quantis up

test:
	scripts/test.sh

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	.venv/bin/python benchmarks/accuracy.py
	.venv/bin/python benchmarks/training_throughput.py
	.venv/bin/python benchmarks/backup.py

ENV ?= dev
plan:
	scripts/terraform-plan.sh $(ENV)
