# The two commands of the README, and what they are made of. Each one runs setup first, which installs
# only what is missing.
.PHONY: setup dev test bench

setup:
	./scripts/setup.sh

# Serves the app at http://127.0.0.1:3000 and rebuilds on every change.
dev: setup
	cargo leptos watch

# Every check and test, exactly as CI runs them.
test: setup
	./scripts/test.sh

# Release build under load on 127.0.0.1, against a bare axum baseline: prints a table, writes
# bench/results.md (see bench/README.md). Runs setup itself.
bench:
	./bench/run.sh
