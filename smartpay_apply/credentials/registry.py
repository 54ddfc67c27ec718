"""The token sources of one run: built once per mini-program, one TP platform for all.

Planning and applying used to build a mini-program's token source each on their own (and the
`tp:` flow opened a state store nobody closed, one TP platform per spec). A `Credentials`
registry belongs to a run (runtime.py makes it next to the API client and the store) and hands
out the same source every time it is asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartpay_apply.credentials import TpPlatform, token_source_for, tp_token_source

if TYPE_CHECKING:
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.api.tokens import TokenSource
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore


class Credentials:
    """Per-run cache of token sources over one config, store and API client."""

    def __init__(self, config: ProjectConfig, store: StateStore | None, api: OpenApi) -> None:
        """`store` may be None for a command that opens none (`runtime.open_token_store`):
        asking then for a `tp:` source is a CredentialsError (a bug: the store was needed)."""
        self.config = config
        self.store = store
        self.api = api
        self._apps: dict[int, TokenSource] = {}
        self._tp: dict[int, TokenSource | None] = {}
        self._platform: TpPlatform | None = None

    def for_app(self, spec: AppSpec) -> TokenSource:
        """The mini-program's own token source (CredentialsError if none is configured)."""
        source = self._apps.get(spec.app_id)
        if source is None:
            source = token_source_for(
                spec, self.config, self.store, self.api, platform=self._shared_platform(spec)
            )
            self._apps[spec.app_id] = source
        return source

    def for_tp(self, spec: AppSpec) -> TokenSource | None:
        """The TP's own token source for `spec`'s image uploads (None: none configured)."""
        if spec.app_id not in self._tp:
            self._tp[spec.app_id] = tp_token_source(
                spec, self.config, self.store, self.api, platform=self._shared_platform(spec)
            )
        return self._tp[spec.app_id]

    def _shared_platform(self, spec: AppSpec) -> TpPlatform | None:
        """The run's one TP platform, made on first need by a spec using the `tp:` flow."""
        from smartpay_apply.credentials import tp_client_id, tp_token_given

        tp = getattr(spec.credentials, "tp", None) or getattr(self.config.credentials, "tp", None)
        if tp is None or self.store is None:
            return None
        if self._platform is None:
            self._platform = TpPlatform(
                self.api, self.store, tp_client_id(tp, self.config), tp_token_given(tp, self.config)
            )
        return self._platform
