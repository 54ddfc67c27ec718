"""Names an import makes up: the spec's `app`, its file, and the variables of its secrets.

Why predictable names: a TP importing a hundred mini-programs sets a hundred bank-card
variables in CI; the name must follow from the spec alone, so nobody has to look it up:
`SMARTPAY_<APP>_<FIELD>`, the app name upper-cased with every character that is not a letter
or digit as `_` (`shop-beijing` -> `SMARTPAY_SHOP_BEIJING_BANK_CARD`).
"""

from __future__ import annotations

import re
import string

from smartpay_apply.errors import UsageError
from smartpay_apply.spec.rules import app_name

#: The default `--name-template`: Baidu gives a mini-program no name a spec could use.
DEFAULT_TEMPLATE = "app-{app_id}"
#: What a template may refer to.
PLACEHOLDERS: tuple[str, ...] = ("app_id",)
#: The suffix of generated spec files.
SPEC_SUFFIX = ".yaml"

_NOT_NAME = re.compile(r"[^A-Z0-9]")


def check_template(template: str) -> None:
    """UsageError for a template that cannot make names (unknown placeholder, bad braces)."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise UsageError(f"--name-template {template!r}: {error}") from None
    unknown = [name for name in fields if name not in PLACEHOLDERS]
    if unknown:
        raise UsageError(
            f"--name-template {template!r}: unknown placeholder {{{unknown[0]}}} "
            f"(allowed: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
        )


def spec_name(template: str, app_id: int) -> str:
    """The `app` name `template` gives `app_id`; UsageError when it is no valid name."""
    name = template.format(app_id=app_id)
    return valid_name(name, f"--name-template {template!r} gives {name!r} for {app_id}")


def valid_name(name: str, where: str) -> str:
    """`name` if it is a valid `app` name, else UsageError saying `where` it came from."""
    try:
        return app_name(name)
    except ValueError as error:
        raise UsageError(f"{where}: {error}") from None


def file_name(name: str) -> str:
    """The spec file of the mini-program named `name`."""
    return name + SPEC_SUFFIX


def variable_name(app: str, field: str) -> str:
    """The environment variable a spec's sensitive `field` refers to: SMARTPAY_<APP>_<FIELD>."""
    return f"SMARTPAY_{_NOT_NAME.sub('_', app.upper())}_{_NOT_NAME.sub('_', field.upper())}"


def reference(variable: str) -> str:
    """How a spec refers to an environment variable."""
    return "${env:" + variable + "}"
