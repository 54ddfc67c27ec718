"""Desired state: the YAML spec files, their loader, validation rules and models."""
