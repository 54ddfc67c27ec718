"""The third-party-platform (TP) flow: mini-program access tokens that last longer than an hour.

1. The TP token (30 days) comes from the latest ticket Baidu pushed to the authorization-event
   URL (the receiver stores it) via tp/token, or is given in the config. It is cached, encrypted,
   in the state store, since the number of tp/token calls is limited.
2. Each mini-program's access token (1 hour) comes from its refresh token via oauth/token.

Refresh tokens are single use. So a refresh happens under the store's lock for that
mini-program (other processes wait, then find and use the fresh token), and the new refresh
token is written to the store *before* the access token is handed out: if the process dies
right after the refresh, the next run finds the old refresh token burnt (invalid_grant) and
recovers through retrieve/authorizationcode + a new exchange. Only if that fails too does the
user hear "re-authorize the mini-program".
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from smartpay_apply.api.errors import (
    TOKEN_ERROR_CODES,
    ApiError,
    BusinessError,
    GatewayError,
    OAuthError,
)
from smartpay_apply.credentials import vault
from smartpay_apply.credentials.errors import CredentialsError, ReauthorizeError
from smartpay_apply.credentials.vault import Expiring

if TYPE_CHECKING:
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.state.base import StateStore

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Refresh this long before Baidu's expiry, so a token never dies in the middle of a run step.
ACCESS_MARGIN = 300.0
TP_MARGIN = 3600.0
#: How long a refresh may hold the per-mini-program lock, and how long others wait for it.
LOCK_TTL = 30.0
LOCK_WAIT = 120.0
#: errno of retrieve/authorizationcode when the mini-program has not authorized the TP.
NOT_AUTHORIZED_ERRNO = 50032


def _plain(value: Any) -> str:
    """A SecretStr, str, or a response carrying a code -> the plain string (never logged)."""
    if hasattr(value, "get_secret_value"):
        return str(value.get_secret_value())
    if isinstance(value, str):
        return value
    for name in ("authorization_code", "code", "data"):
        inner = getattr(value, name, None)
        if inner is not None:
            return _plain(inner)
    raise TypeError(f"cannot read a secret from {type(value).__name__}")


def _is_token_rejection(error: Exception) -> bool:
    return isinstance(error, GatewayError) and error.error_code in TOKEN_ERROR_CODES


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    """The store is synchronous: keep it off the event loop."""
    return await asyncio.to_thread(function, *args)


class TpPlatform:
    """The TP's own access token, shared by every mini-program of a run."""

    def __init__(
        self,
        api: OpenApi,
        store: StateStore,
        client_id: str | None,
        given_token: str | None = None,
    ) -> None:
        self._api = api
        self._store = store
        self._client_id = client_id
        self._given = given_token
        self._cached: Expiring | None = None
        self._mutex = asyncio.Lock()

    @property
    def store(self) -> StateStore:
        return self._store

    @property
    def api(self) -> OpenApi:
        return self._api

    async def token(self) -> str:
        if self._given:
            return self._given
        async with self._mutex:
            if self._cached is None or not self._cached.fresh(TP_MARGIN):
                stored = await _in_thread(vault.read, self._store, vault.TP_TOKEN_KEY)
                self._cached = (
                    stored if stored and stored.fresh(TP_MARGIN) else await self._from_ticket(None)
                )
            return self._cached.value

    async def refresh(self, rejected: str) -> str:
        """A new TP token after Baidu rejected one (from the latest ticket)."""
        if self._given:
            raise CredentialsError(
                "the configured TP token (credentials.tp.tp_token) was rejected by Baidu: "
                "supply a current one, or leave it out to use the pushed ticket"
            )
        async with self._mutex:
            if (
                self._cached is not None
                and self._cached.value != rejected
                and self._cached.fresh(TP_MARGIN)
            ):
                return self._cached.value
            self._cached = await self._from_ticket(rejected)
            return self._cached.value

    async def _from_ticket(self, rejected: str | None) -> Expiring:
        """A TP token from the ticket, under the store lock `credentials/tp`: tp/token calls are
        limited, so of several processes (or mini-programs) needing one, one asks; the others
        find its token in the store."""
        async with _store_lock(self._store, vault.TP_LOCK):
            stored = await _in_thread(vault.read, self._store, vault.TP_TOKEN_KEY)
            if stored is not None and stored.value != rejected and stored.fresh(TP_MARGIN):
                return stored
            return await self._fetch_from_ticket()

    async def _fetch_from_ticket(self) -> Expiring:
        if not self._client_id:
            raise CredentialsError(
                "TP credentials need the TP's client id (events.tp_client_id or credentials.tp.client_id)"
            )
        ticket = await _in_thread(vault.read, self._store, vault.TICKET_KEY)
        if ticket is None:
            raise CredentialsError(
                "no TP ticket received yet: run `smartpay-apply events serve` at the TP's "
                "authorization-event URL (Baidu pushes a ticket every 10 minutes), or configure "
                "credentials.tp.tp_token"
            )
        try:
            answer = await self._api.tp_token(self._client_id, ticket.value)
        except BusinessError as error:
            raise CredentialsError(
                f"the latest pushed TP ticket was refused ({error}); check that `events serve` "
                "still receives Baidu's ticket pushes and that the TP client id is right"
            ) from None
        token = Expiring.lasting(_plain(answer.access_token), answer.expires_in)
        await _in_thread(vault.write, self._store, vault.TP_TOKEN_KEY, token)
        log.info("obtained a new TP token from the latest ticket")
        return token

    async def call(self, operation: Callable[[str], Awaitable[T]]) -> T:
        """Run `operation(tp_token)`; on a TP-token rejection (110/111) refresh once and retry."""
        tp_token = await self.token()
        try:
            return await operation(tp_token)
        except ApiError as error:
            if not _is_token_rejection(error):
                raise
        return await operation(await self.refresh(tp_token))


class TpAppToken:
    """A TokenSource for one mini-program through the TP flow."""

    def __init__(
        self,
        platform: TpPlatform,
        app: str,
        app_id: int,
        *,
        run_id: str | None = None,
        lock_ttl: float = LOCK_TTL,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self._platform = platform
        self._store = platform.store
        self._api = platform.api
        self.app = app
        self.app_id = app_id
        self._run_id = run_id
        self._lock_ttl = lock_ttl
        self._lock_wait = lock_wait
        self._cached: Expiring | None = None
        self._mutex = asyncio.Lock()
        self.refreshes = 0  # oauth/token calls made by this source (for status and tests)

    def __repr__(self) -> str:
        return f"TpAppToken(app={self.app!r}, app_id={self.app_id})"

    @property
    def platform(self) -> TpPlatform:
        """The TP token holder (share it between the mini-programs of a run)."""
        return self._platform

    async def token(self) -> str:
        async with self._mutex:
            if self._cached is None or not self._cached.fresh(ACCESS_MARGIN):
                stored = await _in_thread(
                    vault.read, self._store, vault.access_token_key(self.app_id)
                )
                if stored is not None and stored.fresh(ACCESS_MARGIN):
                    self._cached = stored
                else:
                    self._cached = await self._renew(rejected=None)
            return self._cached.value

    async def refresh(self, rejected: str) -> str:
        """Called by the client on 110/111: a different token, refreshing only if nobody did."""
        async with self._mutex:
            if (
                self._cached is not None
                and self._cached.value != rejected
                and self._cached.fresh(ACCESS_MARGIN)
            ):
                return self._cached.value
            self._cached = await self._renew(rejected=rejected)
            return self._cached.value

    async def force_refresh(self) -> Expiring:
        """`auth refresh`: spend the refresh token now, whatever the cached token's age."""
        async with self._mutex:
            current = await _in_thread(vault.read, self._store, vault.access_token_key(self.app_id))
            self._cached = await self._renew(rejected=current.value if current else "", force=True)
            return self._cached

    async def authorize(self, code: str) -> Expiring:
        """`auth add`: exchange an authorization code and store the new pair."""
        async with self._mutex, self._locked():
            self._cached = await self._exchange(code)
            return self._cached

    # -- under the cross-process lock -------------------------------------------------

    async def _renew(self, rejected: str | None, force: bool = False) -> Expiring:
        async with self._locked():
            if not force:
                stored = await _in_thread(
                    vault.read, self._store, vault.access_token_key(self.app_id)
                )
                if stored is not None and stored.value != rejected and stored.fresh(ACCESS_MARGIN):
                    return stored  # another process refreshed while we waited for the lock
            return await self._refresh_locked()

    def _locked(self) -> _AsyncLock:
        return _store_lock(
            self._store,
            vault.credentials_lock_name(self.app_id),
            self._run_id,
            self._lock_ttl,
            self._lock_wait,
        )

    async def _refresh_locked(self) -> Expiring:
        key = vault.refresh_token_key(self.app_id)
        refresh_token = await _in_thread(self._store.get_secret, key)
        if refresh_token is None:
            return await self._recover("no refresh token stored")
        try:
            self.refreshes += 1
            answer = await self._platform.call(
                lambda tp: self._api.refresh_app_token(tp, refresh_token)
            )
        except OAuthError as error:
            log.warning("refresh token of %s refused (%s); recovering", self.app, error.error)
            return await self._recover("refresh token no longer valid")
        return await self._store_pair(answer, expected_refresh=refresh_token)

    async def _recover(self, reason: str) -> Expiring:
        """A new authorization code (pushed, else retrieved) exchanged for a new pair."""
        pushed = await _in_thread(
            vault.read, self._store, vault.authorization_code_key(self.app_id)
        )
        if pushed is not None and pushed.fresh():
            try:
                return await self._exchange(pushed.value)
            except OAuthError:
                log.warning(
                    "pushed authorization code of %s refused; retrieving a new one", self.app
                )
        try:
            retrieved = await self._platform.call(
                lambda tp: self._api.retrieve_authorization_code(tp, self.app_id)
            )
        except BusinessError as error:
            if error.errno == NOT_AUTHORIZED_ERRNO:
                raise ReauthorizeError(
                    self.app, f"{reason}; the mini-program has not authorized the TP"
                ) from None
            raise
        try:
            return await self._exchange(_plain(retrieved))
        except OAuthError:
            raise ReauthorizeError(self.app, reason) from None

    async def _exchange(self, code: str) -> Expiring:
        answer = await self._platform.call(
            lambda tp: self._api.exchange_authorization_code(tp, code)
        )
        stored = await self._store_pair(answer, expected_refresh=None)
        await _in_thread(self._store.delete_secret, vault.authorization_code_key(self.app_id))
        return stored

    async def _store_pair(self, answer: Any, expected_refresh: str | None) -> Expiring:
        """Store the new refresh token first (CAS), then the access token; return the latter."""
        key = vault.refresh_token_key(self.app_id)
        if answer.refresh_token is None:
            raise CredentialsError(f"oauth/token gave no refresh token for {self.app}")
        new_refresh = _plain(answer.refresh_token)
        if expected_refresh is None:
            await _in_thread(self._store.put_secret, key, new_refresh)
        elif not await _in_thread(self._store.replace_secret, key, expected_refresh, new_refresh):
            # Someone wrote a refresh token outside the lock (e.g. `auth add`): ours is newer.
            log.warning(
                "refresh token of %s changed during a refresh; keeping the new one", self.app
            )
            await _in_thread(self._store.put_secret, key, new_refresh)
        access = Expiring.lasting(_plain(answer.access_token), answer.expires_in or 3600)
        await _in_thread(vault.write, self._store, vault.access_token_key(self.app_id), access)
        log.info("new access token for %s (valid %s s)", self.app, answer.expires_in)
        return access


def _store_lock(
    store: StateStore,
    name: str,
    run_id: str | None = None,
    ttl: float = LOCK_TTL,
    wait: float = LOCK_WAIT,
) -> _AsyncLock:
    """The store's cross-process lock `name`, for use with `async with`."""
    from smartpay_apply.state.locks import LockOwner

    owner = LockOwner.current(run_id or f"credentials-{os.getpid()}")
    return _AsyncLock(store.lock(name, owner, ttl=ttl, wait=wait))


class _AsyncLock:
    """The store's synchronous lock context manager, entered and left off the event loop.

    If the waiting coroutine is cancelled while a thread is still acquiring the lock, the lock
    is released as soon as that thread gets it, so a cancelled refresh never leaves a lock
    held (and renewed) behind.
    """

    def __init__(self, manager: AbstractContextManager[Any]) -> None:
        self._manager = manager

    async def __aenter__(self) -> None:
        entering = asyncio.ensure_future(asyncio.to_thread(self._manager.__enter__))
        try:
            await asyncio.shield(entering)
        except asyncio.CancelledError:
            entering.add_done_callback(self._release_if_taken)
            raise

    def _release_if_taken(self, entering: asyncio.Future[Any]) -> None:
        if not entering.cancelled() and entering.exception() is None:
            threading.Thread(
                target=self._manager.__exit__, args=(None, None, None), daemon=True
            ).start()

    async def __aexit__(self, *exc: Any) -> None:
        await asyncio.to_thread(self._manager.__exit__, *exc)
