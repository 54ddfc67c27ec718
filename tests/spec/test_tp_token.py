"""The third-party platform's own token for image uploads (issue 13.5, the config part).

Baidu's image upload takes the TP's token, not a mini-program's. smartpay.yaml's
`credentials:` may give it as `tp_access_token` or `tp_token_command`; a spec may not (it is one
token for the whole platform). validate warns, at the image, when a spec's local id-card
images could not be uploaded because no TP token source is configured.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smartpay_apply.config import load_project_config, tp_token_configured
from smartpay_apply.errors import ConfigError
from smartpay_apply.spec.images import uses_local_images
from smartpay_apply.yamldoc.refs import UnresolvedSecret
from tests.spec.conftest import VALID_SPEC, Project
from tests.support.specs import spec_without_credentials

HINT = (
    "local id-card images are uploaded with the third-party platform's own token: set "
    "credentials.tp_access_token or credentials.tp_token_command in smartpay.yaml, or use the "
    "tp: flow"
)
URLS = VALID_SPEC.replace(
    "  id_card_front: images/front.png\n  id_card_back: images/back.png\n",
    "  id_card_front_url: https://img.example.com/f.png\n"
    "  id_card_back_url: https://img.example.com/b.png\n",
)


def load(root: Path, text: str, environ: dict[str, str] | None = None):
    (root / "smartpay.yaml").write_text(text, encoding="utf-8")
    return load_project_config(root, None, environ=environ or {})


def test_a_tp_token_alone_is_no_mini_program_default(tmp_path: Path) -> None:
    config = load(tmp_path, "credentials:\n  tp_access_token: ${env:TP_TOKEN}\n")
    assert config.credentials is None  # specs without credentials still get "no credentials"
    assert config.tp_token is not None
    assert isinstance(config.tp_token.access_token, UnresolvedSecret)
    with pytest.raises(ConfigError) as caught:
        config.tp_token.access_token.get_secret_value()
    assert str(caught.value).startswith(
        "smartpay.yaml:2:20: credentials.tp_access_token: environment variable TP_TOKEN is not set"
    )

    config = load(tmp_path, "credentials:\n  tp_token_command: ./tp-token.sh\n")
    assert config.credentials is None
    assert config.tp_token is not None and config.tp_token.token_command == "./tp-token.sh"
    assert config.tp_token.access_token is None


def test_a_tp_token_beside_mini_program_credentials(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "credentials:\n  token_command: ./app-token.sh\n  tp_access_token: ${env:TP}\n",
        {"TP": "tp-secret"},
    )
    assert config.credentials is not None and config.credentials.token_command == "./app-token.sh"
    assert config.tp_token is not None and config.tp_token.access_token is not None
    assert config.tp_token.access_token.get_secret_value() == "tp-secret"
    assert "tp-secret" not in repr(config)


def test_no_tp_token(tmp_path: Path) -> None:
    config = load(tmp_path, "credentials:\n  access_token: x\n")
    assert config.tp_token is None and config.credentials is not None


def test_a_spec_without_credentials_still_has_none(tmp_path: Path) -> None:
    """The lead's credentials code tells a TP-only `credentials:` from a default."""
    from smartpay_apply.credentials import CredentialsError, token_source_for
    from smartpay_apply.project import load_report

    config = load(tmp_path, "credentials:\n  tp_access_token: tp-token\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text("app: a\napp_id: 7\n", encoding="utf-8")
    (spec,) = load_report(config, environ={}, cwd=tmp_path).specs
    with pytest.raises(CredentialsError) as caught:
        token_source_for(spec, config)
    assert "mini-program a has no credentials" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "credentials:\n  tp_access_token: a\n  tp_token_command: b\n",
            "smartpay.yaml:1:1: credentials: give at most one of tp_access_token (the token) or tp_token_command (a command printing it), not both",
        ),
        (
            "credentials:\n  tp_token_command: '  '\n",
            "smartpay.yaml:2:21: credentials.tp_token_command: must not be empty",
        ),
        (
            "credentials:\n  tp_acess_token: a\n",
            "smartpay.yaml:2:3: credentials.tp_acess_token: unknown field (did you mean 'tp_access_token'?)",
        ),
    ],
)
def test_tp_token_problems_are_located(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert str(caught.value) == "invalid project config:\n" + expected


@pytest.mark.parametrize("key", ["tp_access_token", "tp_token_command"])
def test_a_spec_may_not_give_the_tp_token(project: Project, key: str) -> None:
    project.spec(VALID_SPEC.replace("  access_token: sandbox-12345678", f"  {key}: x"))
    assert project.problems() == [
        f"specs/app.yaml:4:3: credentials.{key}: belongs in smartpay.yaml's top-level "
        "`credentials:` (the third-party platform's own token, one for all mini-programs), "
        "not in a spec"
    ]


def test_defaults_may_not_give_it_either(project: Project) -> None:
    project.config("endpoint: sandbox\ndefaults:\n  credentials:\n    tp_access_token: x\n")
    project.spec(spec_without_credentials("a", 7))
    assert project.problems() == [
        "smartpay.yaml:4:5: credentials.tp_access_token: belongs in smartpay.yaml's top-level "
        "`credentials:` (the third-party platform's own token, one for all mini-programs), "
        "not in a spec"
    ]


@pytest.mark.parametrize(
    ("config_text", "spec_credentials", "expected"),
    [
        ("endpoint: sandbox\n", "  access_token: x\n", False),
        ("credentials:\n  tp_access_token: t\n", "  access_token: x\n", True),
        ("credentials:\n  tp_access_token: ${env:UNSET}\n", "  access_token: x\n", True),
        ("credentials:\n  tp_token_command: echo t\n", "  access_token: x\n", True),
        ("endpoint: sandbox\n", "  tp: {}\n", True),
        ("credentials:\n  tp: {}\n", None, True),
        ("credentials:\n  tp: {}\n", "  access_token: x\n", True),
        ("credentials:\n  access_token: y\n", None, False),
    ],
)
def test_tp_token_configured(
    project: Project, config_text: str, spec_credentials: str | None, expected: bool
) -> None:
    project.config(config_text)
    spec_text = spec_without_credentials("a", 7)
    if spec_credentials is not None:
        spec_text = spec_text.replace("account:\n", f"credentials:\n{spec_credentials}account:\n")
    project.spec(spec_text)
    config = load_project_config(project.root, None, environ={})
    (spec,) = project.report().specs
    assert uses_local_images(spec) == ["id_card_front", "id_card_back"]
    assert tp_token_configured(config, spec) is expected
    warnings = [str(w) for w in project.validate().located_warnings]
    line = 10 if spec_credentials is None else 12
    assert warnings == (
        [] if expected else [f"specs/app.yaml:{line}:18: account.id_card_front: {HINT}"]
    )


def test_no_warning_for_uploaded_image_urls(project: Project) -> None:
    project.spec(URLS)
    (spec,) = project.report().specs
    assert uses_local_images(spec) == []
    assert project.validate().located_warnings == []


def test_validate_warns_at_the_image_and_still_exits_0(run_cli, tmp_path: Path) -> None:
    import shutil

    from tests.spec.conftest import QUICKSTART

    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns(".smartpay"))
    config = project / "smartpay.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("credentials:")  # the quickstart's own TP token, taken away
    config.write_text(text[:start] + text[text.index("\n\n", start) + 2 :], encoding="utf-8")
    warned = run_cli("validate", "specs/shop-beijing.yaml", cwd=project)
    assert warned.returncode == 0
    assert warned.stdout == "1 spec valid\n"
    assert f"warning: specs/shop-beijing.yaml:16:18: account.id_card_front: {HINT}" in (
        warned.stderr.splitlines()
    )
    config = project / "smartpay.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "credentials:\n  tp_access_token: ${env:TP_TOKEN}\n",
        encoding="utf-8",
    )
    quiet = run_cli("validate", "specs/shop-beijing.yaml", cwd=project)
    assert quiet.returncode == 0
    assert "third-party platform" not in quiet.stderr
    assert "TP_TOKEN" not in quiet.stderr  # an apply-time secret: validate does not need it
