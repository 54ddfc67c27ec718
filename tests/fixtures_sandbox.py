"""Sandbox fixtures (owned with smartpay_apply/sandbox): filled in by the sandbox work."""
