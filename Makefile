# The two set-up commands of the README, plus the benchmarks and the checks.
.PHONY: demo test bench lint

demo:
	@scripts/bootstrap.sh
	.venv/bin/autonom demo

# Every test, on SQLite and on the PostgreSQL at 127.0.0.1:5432, with the page tests in
# Debian's Chromium. Screenshots and other artefacts land in artifacts/.
test:
	@scripts/bootstrap.sh --browser
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy src
	.venv/bin/pytest

bench:
	@scripts/bootstrap.sh
	.venv/bin/python -m bench.sale_latency --json
	.venv/bin/python -m bench.detection --json
	.venv/bin/python -m bench.reintegration --json
	.venv/bin/python -m bench.crash --crashes 1000 --json
	.venv/bin/python -m bench.partition --faults 1000 --json

lint:
	@scripts/bootstrap.sh
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy src
