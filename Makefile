# The commands of the README, and what they are made of. Each one first runs scripts/setup.sh, which
# installs only what is missing: `dev` only the build tools, `test` the test tools too.
.PHONY: dev test bench screenshots

# Serves the app at http://127.0.0.1:3000 and rebuilds on every change.
dev:
	./scripts/setup.sh build
	cargo leptos watch

# Every check and test, exactly as CI runs them.
test:
	./scripts/setup.sh test
	./scripts/test.sh

# Release build under load on 127.0.0.1, against a bare axum baseline: prints a table, writes
# bench/results.md (see bench/README.md). Runs setup itself.
bench:
	./bench/run.sh

# The README's screenshots (docs/screenshots/*.png), taken by Playwright from the debug build with
# seeded posts (end2end/screenshots/).
screenshots:
	./scripts/setup.sh test
	cargo leptos build
	cd end2end && npx playwright test --config screenshots.config.ts
