# Two commands do everything on a fresh machine: `make demo` and `make test`.
.PHONY: setup demo test bench bench-quick

setup:
	@scripts/bootstrap.sh postgres,test,sklearn,tensorflow

demo: setup
	.venv/bin/python examples/quickstart.py

test: setup
	.venv/bin/python -m pytest -q

bench:
	@scripts/bootstrap.sh postgres,test,sklearn,tensorflow,bench
	.venv/bin/python benchmarks/run_all.py

bench-quick:
	@scripts/bootstrap.sh postgres,test,sklearn,tensorflow,bench
	.venv/bin/python benchmarks/run_all.py --quick
