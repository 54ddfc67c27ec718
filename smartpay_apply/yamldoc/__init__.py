"""YAML documents with positions: the layer below both the spec files and smartpay.yaml.

- `read`: a file (or text) into positioned trees (`tree`), every mistake a `Problem`
  (`problems`) at file:line:column, never an exception; `build` and `scalars` do the work.
- `refs`: `${env:NAME}` and `${file:path}` references, and `UnresolvedSecret`, a secret whose
  reference is resolved only where it is used.
- `convert`: a tree into input for a pydantic model, and pydantic's errors back into
  positioned, user-worded problems.

It imports nothing of the tool but `errors` and `sensitive`: `spec` and `config` both stand on
it, and neither needs the other to read YAML (docs/architecture.md).
"""
