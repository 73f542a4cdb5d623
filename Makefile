# Two commands do everything on a fresh machine: `make demo` and `make test`.
.PHONY: setup demo test lint bench bench-quick

EXTRAS := postgres,test,sklearn,tensorflow,lint,ray

setup:
	@scripts/bootstrap.sh $(EXTRAS)

demo: setup
	.venv/bin/python examples/quickstart.py

# The whole suite, then the TensorFlow tests again with oneDNN off: TensorFlow's kernels then
# are those of a CPU without AVX-512 (no grouped-convolution gradients, other float sums).
# Two worker processes, a test file each at a time: most tests wait on tracing, processes or
# databases, so two share two cores well; a file's tests share its fixtures (Ray's cluster).
PYTEST := .venv/bin/python -m pytest -q -n 2 --dist loadfile
test: setup
	$(PYTEST)
	TF_ENABLE_ONEDNN_OPTS=0 $(PYTEST) tests/keras tests/sklearn

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

bench:
	@scripts/bootstrap.sh $(EXTRAS),bench
	.venv/bin/python benchmarks/run_all.py

bench-quick:
	@scripts/bootstrap.sh $(EXTRAS),bench
	.venv/bin/python benchmarks/run_all.py --quick
