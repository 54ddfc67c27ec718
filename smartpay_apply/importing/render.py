"""The text of a spec file written by `import`, in the project's style.

The style is the quickstart's (examples/quickstart/specs): `app` and `app_id` first, block
mappings indented by two, text plain unless YAML would read it as something else (then double
quotes: `service_phone: "13957112345"`), numbers as numbers. One header comment says where the
file came from and when; a second says how to start managing the sections Baidu cannot return.
Values go through ruamel.yaml, the emitter `import --update` rewrites files with (what it
writes there reads back the same way), and a literal `${` in a value is written `$${` (the
spec loader would take it for a reference otherwise).
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from smartpay_apply.timeutil import text_time
from smartpay_apply.yamldoc.scalars import TAG_STR, resolve_plain

#: A schema comment pointing here is added when the project has the schema file (README).
SCHEMA_FILE = "smartpay-spec.schema.json"

UNMANAGED_NOTE = (
    "# account and developer_config are not managed by this spec: Baidu never returns them.\n"
    "# To manage them, add the sections with the values that were submitted; the next plan\n"
    "# shows `adopt` for each (it records them in the state store, no call to Baidu).\n"
)
NO_SERVICE_NOTE = (
    "# Baidu reported no payment service for this mini-program: add payment_service: to\n"
    "# create one with apply.\n"
)


def yaml() -> YAML:
    """The ruamel.yaml round-trip instance both import and --update write with."""
    instance = YAML()
    instance.preserve_quotes = True
    instance.width = 4096  # never fold a long value onto a second line
    instance.indent(mapping=2, sequence=4, offset=2)
    return instance


class Reference(str):
    """A `${env:NAME}` reference the spec must hold as it is (never escaped)."""


#: Plain text that needs no quotes: no YAML indicator or space first, only printable
#: characters, no `: ` or ` #` inside. Anything else is double-quoted (the project's style).
_SAFE_PLAIN = re.compile(r"[^\-?:,\[\]{}#&*!|>'\"%@`\s]")


def scalar(value: object) -> Any:
    """`value` as it should be written: text plain unless YAML would read it otherwise
    (then double-quoted); a literal `${` as `$${`; a `Reference` as it is."""
    if not isinstance(value, str):
        return value
    text = value if isinstance(value, Reference) else value.replace("${", "$${")
    if _plain_is_text(text):
        return str(text)
    return DoubleQuotedScalarString(text)


#: YAML 1.1's booleans: text to the project's loader (1.2), but quoted for other readers.
_YAML11_BOOL = re.compile(r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)\Z")


def _plain_is_text(text: str) -> bool:
    """Whether `text` written without quotes reads back as this very text: by the project's
    own loader (YAML 1.2 core schema), by ruamel.yaml's resolver and by a YAML 1.1 reader."""
    if not _SAFE_PLAIN.match(text) or ": " in text or " #" in text or text.endswith((":", " ")):
        return False
    if not all(char == " " or char.isprintable() for char in text):
        return False
    if _YAML11_BOOL.match(text):
        return False
    if resolve_plain(text) != TAG_STR:
        return False
    tag = _resolver().resolve(ScalarNode, text, (True, False))
    return bool(tag == TAG_STR)


@functools.cache
def _resolver() -> Any:
    """ruamel.yaml's resolver, made once (a YAML instance costs a millisecond to build)."""
    return yaml().resolver


def dump(data: Mapping[str, Any]) -> str:
    """Block-style YAML of `data` (values through `scalar`), written by ruamel.yaml: the same
    emitter `import --update` rewrites files with, so its choices survive the round trip."""
    from ruamel.yaml.comments import CommentedMap

    def build(value: Any) -> Any:
        if isinstance(value, Mapping):
            mapping = CommentedMap()
            for key, item in value.items():
                mapping[key] = build(item)
            return mapping
        return scalar(value)

    out = io.StringIO()
    _dumper().dump(build(data), out)
    return out.getvalue()


@functools.cache
def _dumper() -> YAML:
    """One instance per process: building one costs about a millisecond, dumping is stateless."""
    return yaml()


def header(imported_at: datetime, schema: str | None = None) -> str:
    """The header comment (and the editor's schema line when the project has one)."""
    lines = []
    if schema is not None:
        lines.append(f"# yaml-language-server: $schema={schema}\n")
    lines.append(
        f"# Imported from Baidu by `smartpay-apply import` on {text_time(imported_at)}.\n"
        "# Credentials: the project-wide default of smartpay.yaml. Sensitive values are\n"
        "# ${env:} references: set the variables before plan.\n"
    )
    return "".join(lines)


def render_spec(
    app: str,
    app_id: int,
    payment: Mapping[str, object] | None,
    imported_at: datetime,
    *,
    schema: str | None = None,
) -> str:
    """The whole file: header, identity, the note on unmanaged sections, payment_service.

    `payment` holds the values to write (references already in place of secrets), or None
    when Baidu has no payment service.
    """
    parts = [header(imported_at, schema), dump({"app": app, "app_id": app_id}), "\n"]
    parts.append(UNMANAGED_NOTE)
    if payment is None:
        parts.append(NO_SERVICE_NOTE)
    else:
        parts.append(dump({"payment_service": dict(payment)}))
    return "".join(parts)
