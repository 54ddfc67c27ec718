"""The receiver's settings from the project config and the environment (env wins).

SMARTPAY_EVENTS_TOKEN and SMARTPAY_EVENTS_AES_KEY let a deployment keep both secrets out of
smartpay.yaml; SMARTPAY_EVENTS_TP_CLIENT_ID likewise for the client id. Neither secret is ever
logged or printed.

A `${env:...}` secret under `events:` whose variable is unset does not stop the config from
loading (smartpay_apply.yamldoc.refs.UnresolvedSecret): `receiver_settings` (events serve) says
which variable is missing, at its line, when it needs the value; `receiver_configured` (what
plan and apply ask) treats it as absent and never raises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import SecretStr

from smartpay_apply.errors import ConfigError, SmartpayError
from smartpay_apply.events.crypto import aes_key
from smartpay_apply.yamldoc.refs import UnresolvedSecret

if TYPE_CHECKING:
    from smartpay_apply.config import EventsConfig, ProjectConfig
    from smartpay_apply.events.app import ReceiverSettings

TOKEN_ENV = "SMARTPAY_EVENTS_TOKEN"
AES_KEY_ENV = "SMARTPAY_EVENTS_AES_KEY"
CLIENT_ID_ENV = "SMARTPAY_EVENTS_TP_CLIENT_ID"


def receiver_settings(
    events: EventsConfig,
    *,
    allow_plaintext: bool = False,
    environ: Mapping[str, str] | None = None,
    command: str = "events serve",
) -> ReceiverSettings:
    """Settings for `events serve` (or the `command` serving the receiver); ConfigError if
    encrypted pushes cannot be verified."""
    from smartpay_apply.events.app import MAX_BODY, ReceiverSettings  # the web stack: serve only

    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV) or (events.token.get_secret_value() if events.token else None)
    key_text = env.get(AES_KEY_ENV) or (
        events.encoding_aes_key.get_secret_value() if events.encoding_aes_key else None
    )
    client_id = env.get(CLIENT_ID_ENV) or events.tp_client_id
    plaintext = allow_plaintext or events.allow_plaintext
    if not plaintext and not (token and key_text):
        how = (
            "pass --allow-plaintext" if command == "events serve" else "set events.allow_plaintext"
        )
        raise ConfigError(
            f"{command} needs the message token and EncodingAESKey: set events.token and "
            f"events.encoding_aes_key in smartpay.yaml, or {TOKEN_ENV} and {AES_KEY_ENV} "
            f"(or {how} to accept unencrypted JSON only)"
        )
    key = None
    if key_text:
        try:
            key = aes_key(key_text.strip())
        except SmartpayError:
            source = AES_KEY_ENV if env.get(AES_KEY_ENV) else "events.encoding_aes_key"
            raise ConfigError(f"{source}: must be 43 characters of [A-Za-z0-9]") from None
    return ReceiverSettings(
        token=token.strip() if token else None,
        key=key,
        client_id=client_id.strip() if client_id else None,
        allow_plaintext=plaintext,
        max_body=MAX_BODY,
    )


def receiver_configured(config: ProjectConfig, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a receiver could verify Baidu's pushes with this project's settings.

    True with `events.allow_plaintext`, or with both the message token and a well-formed
    EncodingAESKey, each from smartpay.yaml or from SMARTPAY_EVENTS_TOKEN /
    SMARTPAY_EVENTS_AES_KEY (the environment counts, as the docs say). Never raises: a secret
    whose `${env:}` is unset counts as absent. plan and apply call this to decide whether
    audit outcomes arrive as pushes.
    """
    env = os.environ if environ is None else environ
    events = config.events
    if events.allow_plaintext:
        return True
    token = env.get(TOKEN_ENV) or _available(events.token)
    key_text = env.get(AES_KEY_ENV) or _available(events.encoding_aes_key)
    if not (token and token.strip() and key_text):
        return False
    try:
        aes_key(key_text.strip())
    except SmartpayError:
        return False
    return True


def _available(secret: SecretStr | None) -> str | None:
    """A secret's value when it has one now; None if absent or its reference is unresolved."""
    if secret is None or isinstance(secret, UnresolvedSecret):
        return None
    return secret.get_secret_value() or None
