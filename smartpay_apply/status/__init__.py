"""Fleet status: what the state store knows of every mini-program, as rows a person can scan.

`smartpay-apply status` and the status page (`status serve`, or mounted under `/ui/` by the
controller) answer the morning questions of a TP's operations team — which audits are in
review and since when, which were rejected and why, which mini-programs drifted or fail to
apply, what ran last night — from the state store alone: every plan, apply, controller
reconcile and `status --refresh` keeps what it observed of each mini-program there.

Layout: `fleet` reads the store in a few bulk queries; `states` defines the states and filters
(docs/status.md); `rows` builds one `StatusRow` per mini-program; `document` and `text` render
them (JSON versioned with `format_version`, text for terminals); `plan_text` renders a stored
observation as the plan text; `refresh` observes live first; `web/` is the page.
"""
