"""The one rule for "which mini-program did the user mean" — kept in `smartpay_apply.selection`
(below the services that need it too: the status page, the controller); commands import it
from here or there alike."""

from smartpay_apply.selection import (
    SPECS,
    KnownApp,
    merged_apps,
    resolve,
    select_spec,
    select_specs,
)

__all__ = ["SPECS", "KnownApp", "merged_apps", "resolve", "select_spec", "select_specs"]
