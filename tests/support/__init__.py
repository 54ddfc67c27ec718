"""Scaffolding several test areas share: fixture files, polling, projects on disk.

Only what tests need to set the scene lives here; every assertion stays in its test.
"""
