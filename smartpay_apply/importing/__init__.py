"""`smartpay-apply import`: bring mini-programs opened by hand under management (docs/import.md).

One idea per module:

- `values`: Baidu's payment-service values as a spec holds them, normalised exactly as plan
  compares them (engine/normalise.py), so a fresh import plans nothing;
- `naming`: spec names (`--name-template`), file names and the `${env:}` variable names of
  sensitive values;
- `existing`: which mini-programs already have a spec (read without resolving references);
- `render`: the text of a new spec file;
- `secrets`: `--secrets-file`, and the git check that keeps it out of the repository;
- `targets`: what the command line asks for (app ids, names, `--from-file`);
- `run`: reading Baidu and deciding, per mini-program, what to write;
- `update`: `import --update`, Baidu's current values written into existing files in place
  (ruamel.yaml round trip), and the diff shown first.
"""
