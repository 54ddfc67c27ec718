"""token_source_for and the token_command source, with real commands in subprocesses."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import TokenError
from smartpay_apply.config import ProjectConfig
from smartpay_apply.credentials import CommandToken, CredentialsError, StaticToken, token_source_for
from smartpay_apply.credentials.command import BARE_TOKEN_TTL, parse_token_output
from smartpay_apply.spec.models import AppSpec, Location, SpecSource


def spec_with(credentials: dict | None, path: Path = Path("specs/shop.yaml")) -> AppSpec:
    data: dict = {"app": "shop", "app_id": 101}
    if credentials is not None:
        data["credentials"] = credentials
    spec = AppSpec.model_validate(data)
    return spec.with_source(SpecSource(Location(path, 1, 1), {"credentials": Location(path, 3, 3)}))


async def test_the_tp_flow_without_a_store_is_refused_not_opened(tmp_path: Path) -> None:
    """A token source never opens a state store of its own (one nobody would close): the
    caller passes the run's (runtime.Runtime, runtime.open_token_store)."""
    config = ProjectConfig(root=tmp_path, path=tmp_path / "smartpay.yaml")
    async with OpenApi("http://127.0.0.1:9") as api:
        with pytest.raises(CredentialsError, match="tp credentials need the state store"):
            token_source_for(spec_with({"tp": {}}), config, api=api)
    assert not (tmp_path / ".smartpay").exists()


def token_script(tmp_path: Path, body: str) -> str:
    """A command line running a small Python script that counts its runs in runs.txt."""
    script = tmp_path / "mint.py"
    script.write_text(
        textwrap.dedent(
            """
            import pathlib, sys, json
            counter = pathlib.Path(__file__).with_name("runs.txt")
            n = int(counter.read_text()) + 1 if counter.exists() else 1
            counter.write_text(str(n))
            """
        )
        + textwrap.dedent(body)
    )
    return f"{sys.executable} {script}"


def runs(tmp_path: Path) -> int:
    counter = tmp_path / "runs.txt"
    return int(counter.read_text()) if counter.exists() else 0


async def test_access_token_gives_a_static_token_that_cannot_refresh() -> None:
    source = token_source_for(spec_with({"access_token": " tok-123 "}))
    assert isinstance(source, StaticToken)
    assert await source.token() == "tok-123"
    with pytest.raises(TokenError, match="cannot be refreshed"):
        await source.refresh("tok-123")


def test_no_credentials_names_the_spec_file_and_line() -> None:
    with pytest.raises(CredentialsError) as caught:
        token_source_for(spec_with(None))
    message = caught.value.user_message()
    assert message.startswith("specs/shop.yaml:1:1: mini-program shop has no credentials")
    assert "access_token, token_command or tp" in message


def test_two_kinds_at_once_are_refused_with_the_location() -> None:
    with pytest.raises(
        CredentialsError, match=r"specs/shop.yaml:3:3: .*access_token and token_command"
    ):
        token_source_for(spec_with({"access_token": "x", "token_command": "echo y"}))


def test_project_default_is_used_when_the_spec_has_none() -> None:
    class Config:  # the shape of ProjectConfig that token_source_for reads
        root = Path(".")
        path = Path("smartpay.yaml")
        credentials = spec_with({"access_token": "from-project"}).credentials

    source = token_source_for(spec_with(None), Config())  # type: ignore[arg-type]
    assert isinstance(source, StaticToken)


async def test_bare_token_is_cached_until_rejected(tmp_path: Path) -> None:
    command = token_script(tmp_path, 'print(f"token-{n}")')
    source = token_source_for(spec_with({"token_command": command}))
    assert isinstance(source, CommandToken)
    assert await source.token() == "token-1"
    assert await source.token() == "token-1"
    assert runs(tmp_path) == 1
    assert await source.refresh("token-1") == "token-2"
    assert runs(tmp_path) == 2
    # A late second refresh for the old token does not burn another run.
    assert await source.refresh("token-1") == "token-2"
    assert runs(tmp_path) == 2


async def test_command_is_told_which_mini_program(tmp_path: Path) -> None:
    command = token_script(
        tmp_path,
        'import os; print(os.environ["SMARTPAY_APP"] + "-" + os.environ["SMARTPAY_APP_ID"])',
    )
    source = token_source_for(spec_with({"token_command": command}))
    assert await source.token() == "shop-101"


async def test_json_output_with_expiry_is_rerun_once_expired(tmp_path: Path) -> None:
    # expires_in 30 s is inside the 60 s safety margin: every token() call runs it again.
    command = token_script(
        tmp_path, 'print(json.dumps({"access_token": f"t{n}", "expires_in": 30}))'
    )
    source = CommandToken(command)
    assert await source.token() == "t1"
    assert await source.token() == "t2"
    long_lived = CommandToken(
        token_script(tmp_path, 'print(json.dumps({"access_token": "long", "expires_in": 3600}))')
    )
    assert await long_lived.token() == "long"
    assert await long_lived.token() == "long"
    assert runs(tmp_path) == 3


async def test_concurrent_callers_share_one_run(tmp_path: Path) -> None:
    import asyncio

    source = CommandToken(token_script(tmp_path, 'import time; time.sleep(0.2); print("shared")'))
    tokens = await asyncio.gather(*(source.token() for _ in range(10)))
    assert set(tokens) == {"shared"}
    assert runs(tmp_path) == 1


def test_kubectl_exec_credential_shape() -> None:
    later = "2099-01-01T00:00:00Z"
    output = json.dumps(
        {"kind": "ExecCredential", "status": {"token": "k8s", "expirationTimestamp": later}}
    )
    cached = parse_token_output(output.encode())
    assert cached.value == "k8s"
    assert cached.expires_at == pytest.approx(4070908800.0)


def test_bare_token_ttl() -> None:
    cached = parse_token_output(b"abc\n")
    assert cached.value == "abc"
    assert cached.expires_at == pytest.approx(time.time() + BARE_TOKEN_TTL, abs=5)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (b"", "printed nothing"),
        (b"two words", "one token on one line"),
        (b"{not json", "invalid JSON"),
        (b'{"expires_in": 5}', "no string access_token"),
        (b'{"access_token": "s3cret", "expires_in": "soon"}', "expires_in must be seconds"),
    ],
)
def test_bad_output_is_a_clear_error_without_the_output(output: bytes, message: str) -> None:
    with pytest.raises(CredentialsError, match=message) as caught:
        parse_token_output(output, "mint")
    assert "s3cret" not in str(caught.value)
    assert "words" not in str(caught.value)


async def test_failing_command_reports_status_and_stderr_not_stdout(tmp_path: Path) -> None:
    command = token_script(
        tmp_path, 'print("tok-leak"); print("vault says no", file=sys.stderr); sys.exit(3)'
    )
    with pytest.raises(CredentialsError) as caught:
        await CommandToken(command).token()
    message = str(caught.value)
    assert "exited with status 3: vault says no" in message
    assert "tok-leak" not in message


async def test_command_timeout_is_an_error(tmp_path: Path) -> None:
    command = token_script(tmp_path, "import time; time.sleep(30)")
    with pytest.raises(CredentialsError, match=r"did not finish within 0\.5 s"):
        await CommandToken(command, timeout=0.5).token()


async def test_missing_program_and_bad_quoting() -> None:
    with pytest.raises(CredentialsError, match="cannot start"):
        await CommandToken("/nonexistent/mint-token --flag").token()
    with pytest.raises(CredentialsError, match="cannot be parsed"):
        CommandToken('mint "unclosed')


async def test_command_runs_without_a_shell(tmp_path: Path) -> None:
    # With shell=True, `;` would run a second command that creates the file.
    marker = tmp_path / "pwned"
    command = f"{sys.executable} -c \"print('ok')\" ; touch {marker}"
    assert await CommandToken(command).token() == "ok"
    assert not marker.exists()
