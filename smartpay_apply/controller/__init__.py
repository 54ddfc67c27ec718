"""`smartpay-apply controller`: onboarding and drift repair that run themselves.

One process serves the event receiver and reconciles each mini-program (engine.run.reconcile,
the engine `apply` uses) when an audit event for it is stored, when its spec file changes, and
at every resync round. Modules, one idea each: `settings` (what it was told), `schedule` (who
is due when), `backoff`, `policy` (what it may do on its own), `triggers` (events, spec files,
rounds), `outcome` (what a reconcile came to), `report` (what is kept of it), `loop` (the
controller), `metrics`, `web` (the HTTP app), `logs`, `replicas` (one SQLite replica), `process`
(the long-running command). docs/controller.md describes the behaviour.
"""
