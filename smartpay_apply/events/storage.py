"""What the receiver writes to the state store, in synchronous calls run off the event loop.

Audit and authorization events go through the store's deduplicating `record_event`; the ticket
and authorization codes become encrypted secrets under the keys the credentials area reads
(`smartpay_apply.credentials.vault`). UNAUTHORIZED forgets the mini-program's tokens: they
stopped working the moment the authorization was withdrawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartpay_apply.credentials import vault
from smartpay_apply.credentials.vault import Expiring
from smartpay_apply.events.messages import AuthorizationMessage, EventMessage, TicketMessage
from smartpay_apply.state.base import AuditEvent

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore


class EventWriter:
    """The receiver's side of the state store (thread-safe: the store is)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def ping(self) -> None:
        """Raise if the store cannot be read (health check; decrypts nothing)."""
        self.store.list_secret_keys(vault.TICKET_KEY)

    def record(self, event: EventMessage) -> AuditEvent | None:
        """Store an event durably; None if it was already stored (a redelivery)."""
        audit = AuditEvent(
            app_id=event.app_id,
            event=event.event,
            event_time=event.event_time,
            reason=event.reason,
            tp_app_id=event.tp_app_id,
        )
        return audit if self.store.record_event(audit) else None

    def store_ticket(self, message: TicketMessage) -> None:
        vault.write(self.store, vault.TICKET_KEY, Expiring(message.ticket, None))

    def store_authorization(self, message: AuthorizationMessage) -> AuditEvent | None:
        """Keep the code (or forget the tokens), then record the event; None if a redelivery."""
        app_id = message.event.app_id
        if message.event.event == "UNAUTHORIZED":
            for key in (
                vault.refresh_token_key(app_id),
                vault.access_token_key(app_id),
                vault.authorization_code_key(app_id),
            ):
                self.store.delete_secret(key)
        elif message.code:
            vault.write(
                self.store,
                vault.authorization_code_key(app_id),
                Expiring.lasting(message.code, message.code_ttl),
            )
        return self.record(message.event)
