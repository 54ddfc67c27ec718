"""Exports of the payment data (orders, income, expenses, payouts) as csv, jsonl or a table.

The pieces, each one idea: `columns` (what each export's rows are, in a stable order),
`writers` (how rows become text), `pages` (walking every page, concurrently, in order),
`output` (stdout, or a `.partial` file that resumes and is renamed on success), `kinds` (which
openapi endpoint feeds each export) and `export` (the loop tying them together).
"""
