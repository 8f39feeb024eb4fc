# The two commands of the README, and what they are made of. Each one runs setup first, which installs
# only what is missing.
.PHONY: setup dev test

setup:
	./scripts/setup.sh

# Serves the app at http://127.0.0.1:3000 and rebuilds on every change.
dev: setup
	cargo leptos watch

# Every check and test, exactly as CI runs them.
test: setup
	./scripts/test.sh
