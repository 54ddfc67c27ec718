"""Scaffolding several test areas share; every assertion stays in its test.

- `files`: `PNG` (bytes the upload endpoints accept), `tiny_png()`, `public_key_pem()`.
- `waiting`: `wait_for(condition, timeout=20)`, polling for another thread's or process's work.
- `specs`: `VALID_SPEC` (YAML text; line numbers matter) and `spec_without_credentials()`.
- `projects`: `write_config()` (smartpay.yaml at a sandbox) and `spec_document()` (a complete
  spec from tests/engine/factory.py's values).
- `cli`: `invoke(*args, cwd=, env=, input=)` — the real CLI in-process (click's CliRunner
  isolation), ~100x cheaper than the `run_cli` subprocess where no signal, tty or pipe matters.
- `canned`: `canned_server()` — real HTTP answering fixed JSON per path (answers the sandbox
  never gives: other errnos, bare objects, null data).

Elsewhere: the sandbox fixtures are in tests/fixtures_sandbox.py, the real receiver in
tests/events/conftest.py, onboarding at a sandbox in tests/sandbox/helpers.py (async, in
memory or over HTTP) and tests/plan/project.py (through the client, recorded in the store).
"""
