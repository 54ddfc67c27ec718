"""The TP flow of openapi-facts.md: ticket -> TP token -> code -> tokens; single-use refresh."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.helpers import Clock, client

TP_TOKEN = "/public/2.0/smartapp/auth/tp/token"
OAUTH = "/rest/2.0/oauth/token"
RETRIEVE = "/rest/2.0/smartapp/auth/retrieve/authorizationcode"
STATUS = "/rest/2.0/smartapp/pay/account/auditstatus"


async def tp_token(http: httpx.AsyncClient) -> str:
    ticket = (await http.post("/_sandbox/tp/ticket")).json()["ticket"]
    body = (
        await http.get(TP_TOKEN, params={"client_id": "sandbox-tp-client-id", "ticket": ticket})
    ).json()
    assert body["errno"] == 0 and body["data"]["expires_in"] == 2592000
    return str(body["data"]["access_token"])


async def exchange(http: httpx.AsyncClient, tp: str, code: str) -> httpx.Response:
    return await http.get(
        OAUTH,
        params={"access_token": tp, "code": code, "grant_type": "app_to_tp_authorization_code"},
    )


async def refresh(http: httpx.AsyncClient, tp: str, refresh_token: str) -> httpx.Response:
    return await http.get(
        OAUTH,
        params={
            "access_token": tp,
            "refresh_token": refresh_token,
            "grant_type": "app_to_tp_refresh_token",
        },
    )


async def status_with(http: httpx.AsyncClient, token: str) -> Any:
    return (await http.get(STATUS, params={"access_token": token})).json()


async def test_ticket_gives_a_tp_token_and_bad_tickets_do_not() -> None:
    async with client(auto_tokens=False) as http:
        tp = await tp_token(http)
        wrong_client = await http.get(TP_TOKEN, params={"client_id": "other", "ticket": "x"})
        wrong_ticket = await http.get(
            TP_TOKEN, params={"client_id": "sandbox-tp-client-id", "ticket": "x"}
        )
        # A TP token is not a mini-program token.
        assert (await status_with(http, tp))["error_code"] == 110
    assert wrong_client.json()["errno"] != 0 and wrong_ticket.json()["errno"] != 0


async def test_code_exchange_gives_a_one_hour_token_for_that_app() -> None:
    clock = Clock()
    async with client(clock, auto_tokens=False) as http:
        tp = await tp_token(http)
        code = (await http.post("/_sandbox/tp/authorize", json={"app_id": 901})).json()[
            "authorization_code"
        ]
        pair = (await exchange(http, tp, code)).json()
        assert (
            set(pair) == {"access_token", "refresh_token", "expires_in"}
            and pair["expires_in"] == 3600
        )
        assert (await status_with(http, pair["access_token"]))["errno"] == 0
        calls = (await http.get("/_sandbox/calls", params={"app_id": 901})).json()["calls"]
        assert calls[-1]["path"] == STATUS
        reused = await exchange(http, tp, code)  # codes are single use too
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        clock.advance(3599)
        assert (await status_with(http, pair["access_token"]))["errno"] == 0
        clock.advance(1)
        assert (await status_with(http, pair["access_token"]))["error_code"] == 111


async def test_refresh_tokens_rotate_and_are_single_use() -> None:
    async with client(auto_tokens=False) as http:
        tp = await tp_token(http)
        code = (await http.post("/_sandbox/tp/authorize", json={"app_id": 902})).json()[
            "authorization_code"
        ]
        pair = (await exchange(http, tp, code)).json()
        seen = {pair["refresh_token"]}
        for _ in range(5):
            new = (await refresh(http, tp, pair["refresh_token"])).json()
            assert new["refresh_token"] not in seen and new["expires_in"] == 3600
            assert (await status_with(http, new["access_token"]))["errno"] == 0
            seen.add(new["refresh_token"])
            burnt = pair["refresh_token"]
            pair = new
        again = await refresh(http, tp, burnt)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant" and "error_description" in again.json()


async def test_oauth_needs_a_valid_tp_token_and_a_known_grant() -> None:
    async with client() as http:
        bad_tp = await exchange(http, "not-a-tp-token", "whatever")
        tp = await tp_token(http)
        bad_grant = await http.get(OAUTH, params={"access_token": tp, "grant_type": "password"})
        unknown_refresh = await refresh(http, tp, "nope")
    assert bad_tp.json()["error_code"] == 110
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "unsupported_grant_type"
    assert unknown_refresh.status_code == 400 and unknown_refresh.json()["error"] == "invalid_grant"


async def test_retrieve_authorization_code_recovers_a_lost_refresh_token() -> None:
    async with client(auto_tokens=False) as http:
        tp = await tp_token(http)
        not_yet = await http.post(RETRIEVE, params={"access_token": tp}, data={"app_id": "903"})
        await http.post("/_sandbox/tp/authorize", json={"app_id": 903})
        retrieved = (
            await http.post(RETRIEVE, params={"access_token": tp}, data={"app_id": "903"})
        ).json()
        pair = (await exchange(http, tp, retrieved["data"]["authorization_code"])).json()
        assert (await status_with(http, pair["access_token"]))["errno"] == 0
        await http.post("/_sandbox/tp/unauthorize", json={"app_id": 903})
        gone = await http.post(RETRIEVE, params={"access_token": tp}, data={"app_id": "903"})
        refresh_after = await refresh(http, tp, pair["refresh_token"])
        token_after = await status_with(http, pair["access_token"])
    assert not_yet.json()["errno"] == 50032
    assert retrieved["errno"] == 0 and retrieved["data"]["expires_in"] > 0
    assert gone.json()["errno"] == 50032
    assert refresh_after.status_code == 400
    assert token_after["error_code"] == 111


async def test_admin_expires_every_token_of_an_app() -> None:
    async with client() as http:
        tp = await tp_token(http)
        code = (await http.post("/_sandbox/tp/authorize", json={"app_id": 904})).json()[
            "authorization_code"
        ]
        pair = (await exchange(http, tp, code)).json()
        expired = (await http.post("/_sandbox/tokens/expire", json={"app_id": 904})).json()[
            "expired"
        ]
        issued = await status_with(http, pair["access_token"])
        auto = await status_with(http, "sandbox-904")
        fresh = (await refresh(http, tp, pair["refresh_token"])).json()
        after_refresh = await status_with(http, fresh["access_token"])
    assert expired == 2
    assert issued["error_code"] == 111 and auto["error_code"] == 111
    assert after_refresh["errno"] == 0
