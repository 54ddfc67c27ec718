"""Token sources: where each mini-program's access token comes from (docs/credentials.md).

`token_source_for(spec, config, store, api)` is the one entry point (a run's `Credentials`
registry, registry.py, calls it once per mini-program). It reads the spec's `credentials:` or,
if the spec has none, the project-wide default (`credentials:` in smartpay.yaml), and returns a
`TokenSource`:

- `access_token` -> `StaticToken` (cannot refresh: a 110/111 becomes a clear error);
- `token_command` -> `CommandToken` (runs the command, caches until expiry, re-runs on 110/111);
- `tp` -> `TpAppToken` (TP token from the pushed ticket, refresh tokens rotated in the store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smartpay_apply.api.tokens import StaticToken, TokenSource
from smartpay_apply.credentials.command import CommandToken
from smartpay_apply.credentials.errors import CredentialsError, ReauthorizeError
from smartpay_apply.credentials.tp import TpAppToken, TpPlatform

if TYPE_CHECKING:
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore

__all__ = [
    "CommandToken",
    "CredentialsError",
    "ReauthorizeError",
    "StaticToken",
    "TpAppToken",
    "TpPlatform",
    "project_token_source",
    "source_kind",
    "token_source_for",
    "tp_client_id",
    "tp_token_given",
    "tp_token_source",
]

_KINDS = ("access_token", "token_command", "tp")


def token_source_for(
    spec: AppSpec,
    config: ProjectConfig | None = None,
    store: StateStore | None = None,
    api: OpenApi | None = None,
    *,
    platform: TpPlatform | None = None,
    run_id: str | None = None,
) -> TokenSource:
    """The TokenSource for `spec`'s mini-program. Raises CredentialsError if none is configured.

    `platform` lets callers share one TP token between many mini-programs of a run (pass the
    same `TpPlatform`); without it one is built from the config and the given store and api.
    """
    credentials, where = _chosen(spec, config)
    kinds = [kind for kind in _KINDS if getattr(credentials, kind, None) is not None]
    if len(kinds) > 1:
        raise CredentialsError(
            f"{where}: credentials of {spec.app} set {' and '.join(kinds)}; choose exactly one of "
            + ", ".join(_KINDS)
        )
    if not kinds:
        raise CredentialsError(
            f"{where}: credentials of {spec.app} are empty; set one of " + ", ".join(_KINDS)
        )
    kind = kinds[0]
    if kind == "access_token":
        value = credentials.access_token.get_secret_value().strip()
        if not value:
            raise CredentialsError(f"{where}: access_token of {spec.app} is empty")
        return StaticToken(value)
    if kind == "token_command":
        cwd = str(config.root) if config is not None else None
        env = {"SMARTPAY_APP": spec.app, "SMARTPAY_APP_ID": str(spec.app_id)}
        return CommandToken(credentials.token_command, cwd=cwd, env=env)
    return _tp_source(spec, credentials.tp, config, store, api, platform, run_id, where)


def project_token_source(config: ProjectConfig) -> TokenSource:
    """A token from the project-wide `credentials:` alone, for calls that need no particular
    mini-program (the dict endpoint: any mini-program's token will do).

    `tp` credentials yield tokens per mini-program (a refresh token each), so they need a spec.
    """
    where = f"{getattr(config, 'path', None) or 'smartpay.yaml'} (credentials)"
    credentials = config.credentials
    if credentials is None:
        raise CredentialsError(
            "no credentials to call the openapi with: add a spec with `credentials:` or a "
            "project-wide `credentials:` default (access_token or token_command) to smartpay.yaml "
            "(docs/credentials.md)"
        )
    kinds = [kind for kind in _KINDS if getattr(credentials, kind, None) is not None]
    if len(kinds) != 1:
        raise CredentialsError(f"{where}: set exactly one of " + ", ".join(_KINDS))
    if kinds[0] == "access_token":
        assert credentials.access_token is not None
        value = credentials.access_token.get_secret_value().strip()
        if not value:
            raise CredentialsError(f"{where}: access_token is empty")
        return StaticToken(value)
    if kinds[0] == "token_command":
        assert credentials.token_command is not None
        return CommandToken(credentials.token_command, cwd=str(config.root))
    raise CredentialsError(
        f"{where}: tp credentials give a token per mini-program: add a valid spec to take one from"
    )


def tp_token_source(
    spec: AppSpec,
    config: ProjectConfig | None,
    store: StateStore | None,
    api: OpenApi | None,
    *,
    platform: TpPlatform | None = None,
) -> TokenSource | None:
    """The third-party platform's OWN token source (image upload takes it), or None.

    Baidu's upload doc and both SDKs pass the TP's token, not a mini-program's. Where it comes
    from, first match wins: the `tp:` flow of the spec or of the project default (the TP token
    that flow already keeps), then smartpay.yaml's `credentials.tp_access_token`, then
    `credentials.tp_token_command` (`config.tp_token`). None: nothing configured (the caller
    says what to set). An unset `${env:}` behind tp_access_token says so when it is read.
    """
    project = getattr(config, "credentials", None)
    tp = getattr(spec.credentials, "tp", None) or getattr(project, "tp", None)
    if tp is not None:
        if platform is not None:
            return platform
        if api is not None and store is not None:
            return TpPlatform(api, store, tp_client_id(tp, config), tp_token_given(tp, config))
    given = getattr(config, "tp_token", None)
    if given is None:
        return None
    if given.access_token is not None:
        return LazySecretToken(given.access_token)
    assert given.token_command is not None, "TpToken holds one of the two"
    return CommandToken(given.token_command, cwd=str(config.root) if config is not None else None)


class LazySecretToken:
    """A static token read from its secret only when first used, so that a plan that uploads
    nothing does not fail on an unset `${env:}` (the upload says which variable is missing)."""

    def __init__(self, secret: Any) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return "LazySecretToken(****)"

    async def token(self) -> str:
        value = str(self._secret.get_secret_value()).strip()
        if not value:
            raise CredentialsError("credentials.tp_access_token is empty")
        return value

    async def refresh(self, rejected: str) -> str:
        from smartpay_apply.api.errors import TokenError

        raise TokenError(
            "",
            None,
            "the third-party platform's token (credentials.tp_access_token in smartpay.yaml) "
            "was rejected; it cannot be refreshed: supply a current one, or use "
            "tp_token_command or the tp: flow",
        )


def source_kind(spec: AppSpec, config: ProjectConfig | None = None) -> str | None:
    """ "access_token", "token_command", "tp", or None if the spec has no credentials."""
    try:
        credentials, _ = _chosen(spec, config)
    except CredentialsError:
        return None
    kinds = [kind for kind in _KINDS if getattr(credentials, kind, None) is not None]
    return kinds[0] if len(kinds) == 1 else None


def _chosen(spec: AppSpec, config: ProjectConfig | None) -> tuple[Any, str | _Where]:
    """The spec's credentials, else the project default; and where they were written."""
    if spec.credentials is not None:
        return spec.credentials, _Where(spec, "credentials")
    default = getattr(config, "credentials", None) if config is not None else None
    if default is not None:
        path = getattr(config, "path", None) or "smartpay.yaml"
        return default, f"{path} (credentials)"
    raise CredentialsError(
        f"{_locate(spec, None)}: mini-program {spec.app} has no credentials: add `credentials:` "
        "to the spec (access_token, token_command or tp) or a project-wide `credentials:` "
        "default to smartpay.yaml (docs/credentials.md)"
    )


class _Where:
    """Where a spec's field was written, as its text shows it in a message; found only when a
    message is written (a valid spec's positions are looked up on first use)."""

    def __init__(self, spec: AppSpec, field: str) -> None:
        self.spec = spec
        self.field = field

    def __str__(self) -> str:
        return _locate(self.spec, self.field)


def _locate(spec: AppSpec, field: str | None) -> str:
    if spec.source is None:
        return f"spec {spec.app}"
    return str(spec.source.locate(field) if field else spec.source.document)


def _tp_source(
    spec: AppSpec,
    tp: Any,
    config: ProjectConfig | None,
    store: StateStore | None,
    api: OpenApi | None,
    platform: TpPlatform | None,
    run_id: str | None,
    where: str | _Where,
) -> TpAppToken:
    if platform is None:
        # The caller passes the store it opened (and closes): runtime.Runtime, or
        # runtime.open_token_store for a command that reads Baidu only.
        if api is None:
            raise CredentialsError(
                f"{where}: tp credentials need the openapi client (a bug if you see this)"
            )
        if store is None:
            raise CredentialsError(
                f"{where}: tp credentials need the state store (a bug if you see this)"
            )
        platform = TpPlatform(api, store, tp_client_id(tp, config), tp_token_given(tp, config))
    return TpAppToken(platform, spec.app, spec.app_id, run_id=run_id)


def tp_client_id(tp: Any, config: ProjectConfig | None) -> str | None:
    """The TP's client id: the credentials' own, else the project default, else events'."""
    for candidate in (
        getattr(tp, "client_id", None),
        getattr(getattr(getattr(config, "credentials", None), "tp", None), "client_id", None),
        getattr(getattr(config, "events", None), "tp_client_id", None),
    ):
        if candidate:
            return str(candidate)
    return None


def tp_token_given(tp: Any, config: ProjectConfig | None) -> str | None:
    """A TP token given in the credentials (or the project default), if any."""
    for candidate in (
        getattr(tp, "tp_token", None),
        getattr(getattr(getattr(config, "credentials", None), "tp", None), "tp_token", None),
    ):
        if candidate is not None:
            value = (
                candidate.get_secret_value()
                if hasattr(candidate, "get_secret_value")
                else str(candidate)
            )
            if value.strip():
                return value.strip()
    return None
