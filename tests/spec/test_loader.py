"""The loader: files and documents, references, defaults, duplicates, positions, bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from smartpay_apply.config import load_project_config
from smartpay_apply.project import load_spec_file, load_specs
from smartpay_apply.spec.errors import Problem, SpecError
from smartpay_apply.spec.models import Location
from tests.spec.conftest import VALID_SPEC, Project

MINIMAL = "app: {app}\napp_id: {app_id}\n"


def test_load_specs_sorted_by_app_with_source_positions(project: Project) -> None:
    project.spec(MINIMAL.format(app="zeta", app_id=2), "z.yaml")
    project.spec(VALID_SPEC, "nested/deeper/shop.yaml")
    project.write(
        "specs/nested/deeper/images/front.png",
        (project.root / "specs/images/front.png").read_bytes(),
    )
    project.write(
        "specs/nested/deeper/images/back.png", (project.root / "specs/images/back.png").read_bytes()
    )
    project.write(
        "specs/nested/deeper/keys/tp.pem", (project.root / "specs/keys/tp.pem").read_bytes()
    )
    config = load_project_config(project.root, None, environ={})
    specs = load_specs(config)
    assert [spec.app for spec in specs] == ["shop-beijing", "zeta"]
    shop = specs[0]
    assert shop.source is not None
    shown = Path("specs/nested/deeper/shop.yaml")
    assert shop.source.document == Location(shown, 1, 1)
    assert shop.source.locate("payment_service.bank_card") == Location(shown, 23, 14)
    assert shop.source.locate("payment_service") == Location(shown, 19, 1)
    assert shop.source.locate("payment_service.not_there") == Location(shown, 19, 1)
    assert shop.account is not None
    assert (
        shop.account.id_card_front
        == (project.root / "specs/nested/deeper/images/front.png").resolve()
    )


def test_load_specs_raises_spec_error_with_all_problems(project: Project) -> None:
    project.spec(MINIMAL.format(app="Bad", app_id=1), "a.yaml")
    project.spec(MINIMAL.format(app="good", app_id=0), "b.yaml")
    config = load_project_config(project.root, None, environ={})
    with pytest.raises(SpecError) as caught:
        load_specs(config)
    assert [str(p) for p in caught.value.problems] == [
        "specs/a.yaml:1:6: app: 'Bad' is not a valid name (allowed: lower-case letters, digits and dashes, starting and ending with a letter or digit, at most 63 characters)",
        "specs/b.yaml:2:9: app_id: 0 is out of range (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ]
    assert caught.value.user_message().splitlines()[0] == "2 problems in the specs:"


def test_several_documents_in_one_file(project: Project) -> None:
    project.spec("---\napp: one\napp_id: 1\n---\n# only a comment\n---\napp: two\napp_id: 2\n")
    report = project.report()
    assert report.problems == []
    assert [(s.app, s.source.document.line if s.source else 0) for s in report.specs] == [
        ("one", 2),
        ("two", 7),
    ]


def test_explicit_paths_files_and_directories(project: Project) -> None:
    project.spec(MINIMAL.format(app="a", app_id=1), "a.yaml")
    project.write("other/b.yml", MINIMAL.format(app="b", app_id=2))
    project.write("other/ignored.txt", "not yaml")
    config = load_project_config(project.root, None, environ={})
    specs = load_specs(config, [Path("other"), Path("specs/a.yaml")])
    assert [spec.app for spec in specs] == ["a", "b"]


# --- references ----------------------------------------------------------------------------


def test_env_and_file_references_are_resolved(project: Project) -> None:
    project.write("specs/secrets/token.txt", "tok-from-file\n")
    project.spec(
        "app: a\napp_id: ${env:APP_ID}\ncredentials:\n  access_token: ${file:secrets/token.txt}\n"
        "  token_command: echo ${env:MISSING:-fallback} $${literal}\n"
    )
    report = project.report({"APP_ID": "42"})
    assert report.problems == []
    (spec,) = report.specs
    assert spec.app_id == 42
    assert spec.credentials is not None
    assert spec.credentials.access_token is not None
    assert spec.credentials.access_token.get_secret_value() == "tok-from-file"
    assert spec.credentials.token_command == "echo fallback ${literal}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "${env:SHOP_TOKEN}",
            "environment variable SHOP_TOKEN is not set (used as ${env:SHOP_TOKEN}; set it or give a default: ${env:SHOP_TOKEN:-value})",
        ),
        ("${file:nope.txt}", "${{file:nope.txt}}: no such file ({root}/specs/nope.txt)"),
        ("${file:images}", "${{file:images}}: {root}/specs/images is a directory, not a file"),
        (
            "${vault:x}",
            "unknown reference '${vault:x}' (allowed: ${env:NAME}, ${env:NAME:-default}, ${file:path})",
        ),
        ("${env:1BAD}", "'${env:1BAD}' is not a valid variable name (letters, digits, _)"),
        (
            "abc${env:X",
            "unclosed reference '${' (allowed: ${env:NAME}, ${env:NAME:-default}, ${file:path})",
        ),
    ],
)
def test_reference_problems_name_where_they_were_used(
    project: Project, value: str, expected: str
) -> None:
    project.spec(f"app: a\napp_id: 1\ncredentials:\n  access_token: '{value}'\n")
    if "{root}" in expected:
        expected = (
            expected.replace("{root}", str(project.root.resolve()))
            .replace("{{", "{")
            .replace("}}", "}")
        )
    assert project.problems() == [f"specs/app.yaml:4:17: credentials.access_token: {expected}"]


def test_secret_from_env_is_not_shown_when_invalid(project: Project) -> None:
    project.spec(
        VALID_SPEC.replace("  legal_id: 11010519491231002X", "  legal_id: ${env:LEGAL_ID}")
    )
    problems = project.problems({"LEGAL_ID": "110105194912310021"})
    assert problems == [
        "specs/app.yaml:11:13: account.legal_id: check digit is wrong (GB 11643): not a valid ID number"
    ]


# --- defaults -----------------------------------------------------------------------------


def test_defaults_merge_under_each_section_and_spec_wins(project: Project) -> None:
    project.config(
        "endpoint: sandbox\ndefaults:\n  credentials:\n    access_token: ${env:TOKEN:-from-defaults}\n"
        "  developer_config:\n    tp_public_key: ${file:specs/keys/tp.pem}\n"
        "    pay_notify_url: https://d.example.com/n\n    refund_audit_url: https://d.example.com/a\n"
        "    refund_succ_url: https://d.example.com/s\n"
    )
    project.spec(
        "app: a\napp_id: 1\ndeveloper_config:\n  pay_notify_url: https://own.example.com/n\n"
    )
    (spec,) = project.report().specs
    assert spec.developer_config is not None
    assert spec.developer_config.pay_notify_url == "https://own.example.com/n"
    assert spec.developer_config.refund_succ_url == "https://d.example.com/s"
    assert spec.developer_config.tp_public_key.startswith("-----BEGIN PUBLIC KEY-----")
    assert spec.credentials is not None and spec.credentials.access_token is not None
    assert spec.credentials.access_token.get_secret_value() == "from-defaults"
    assert spec.source is not None
    assert spec.source.locate("developer_config.refund_succ_url") == Location(
        Path("smartpay.yaml"), 9, 22
    )


def test_a_problem_in_defaults_points_at_smartpay_yaml_once(project: Project) -> None:
    project.config(
        "defaults:\n  developer_config:\n    pay_notify_url: http://insecure.example.com\n"
    )
    project.spec("app: a\napp_id: 1\ndeveloper_config: {}\n", "a.yaml")
    project.spec("app: b\napp_id: 2\ndeveloper_config: {}\n", "b.yaml")
    problems = [p for p in project.problems() if "pay_notify_url" in p]
    assert problems == [
        "smartpay.yaml:3:21: developer_config.pay_notify_url: must be an https:// URL"
    ]


def test_load_spec_file_with_plain_defaults(project: Project) -> None:
    path = project.spec("app: a\napp_id: 1\n")
    (spec,) = load_spec_file(path, {"credentials": {"access_token": "t"}})
    assert spec.credentials is not None and spec.credentials.access_token is not None


# --- duplicates ---------------------------------------------------------------------------


def test_duplicate_app_and_app_id_across_files_name_both_places(project: Project) -> None:
    project.spec(MINIMAL.format(app="shop", app_id=7), "a.yaml")
    project.spec(MINIMAL.format(app="shop", app_id=8), "b.yaml")
    project.spec("app: other\napp_id: '7'\naccount: 5\n", "c.yaml")  # invalid, still counted
    assert project.problems() == [
        "specs/b.yaml:1:6: app: 'shop' is also used at specs/a.yaml:1:6 (each mini-program needs exactly one spec)",
        "specs/c.yaml:2:9: app_id: 7 is also used at specs/a.yaml:2:9 (each mini-program needs exactly one spec)",
        "specs/c.yaml:3:10: account: expected a mapping (key: value lines) (got a number)",
    ]


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"app: [a\n",
            "specs/app.yaml:2:1: invalid YAML: while parsing a flow sequence did not find expected ',' or ']'",
        ),
        (b"app: a\napp: b\n", "specs/app.yaml:2:1: duplicate key 'app' (first at line 1)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "specs/app.yaml:1:1: not a text file (binary data)"),
        (b"app: \xff\xfe\n", "specs/app.yaml:1:6: not valid UTF-8 (save the file as UTF-8)"),
        (
            b"- a\n- b\n",
            "specs/app.yaml:1:1: a spec must be a mapping with app:, app_id: and the sections to manage",
        ),
        (
            b"a: &x [*x]\n",
            "specs/app.yaml:1:8: an alias refers to a node that contains it (recursive YAML)",
        ),
        (
            b"app: !!binary aGk=\napp_id: 1\n",
            "specs/app.yaml:1:6: unsupported YAML tag !!binary (allowed: plain values, !!str, !!int, !!float, !!bool, !!null)",
        ),
        (
            b"app: \x07\n",
            "specs/app.yaml:1:6: invalid YAML: character #x0007 is not allowed in YAML",
        ),
        (
            b"? [a, b]\n: c\n",
            "specs/app.yaml:1:3: a key must be a plain name, not a list or mapping",
        ),
    ],
)
def test_broken_files_are_problems_not_crashes(
    project: Project, content: bytes, expected: str
) -> None:
    project.write("specs/app.yaml", content)
    assert project.problems() == [expected]


def test_alias_bomb_is_refused(project: Project) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]
    project.spec("\n".join(lines) + "\n")
    (problem,) = project.problems()
    assert problem.endswith("document too large or nested too deeply (aliases expand too far)")


def test_huge_file_is_refused_before_parsing(project: Project) -> None:
    project.write("specs/app.yaml", b"# " + b"x" * (11 * 1024 * 1024) + b"\n")
    (problem,) = project.problems()
    assert problem.startswith("specs/app.yaml:1:1: file too large (")


def test_a_directory_matching_the_glob_is_a_problem(project: Project) -> None:
    (project.root / "specs" / "dir.yaml").mkdir()
    assert project.problems() == ["specs/dir.yaml:1:1: is a directory, not a YAML file"]


def test_missing_explicit_file(project: Project) -> None:
    config = load_project_config(project.root, None, environ={})
    with pytest.raises(SpecError) as caught:
        load_specs(config, [Path("specs/nope.yaml")])
    assert [str(p) for p in caught.value.problems] == ["specs/nope.yaml:1:1: no such file"]


def test_empty_file_is_a_warning(project: Project) -> None:
    project.spec("# nothing yet\n")
    report = project.report()
    assert report.problems == [] and report.specs == []
    assert report.warnings == ["specs/app.yaml: holds no spec (empty file)"]


def test_merge_keys_share_a_block_and_own_keys_win(project: Project) -> None:
    project.spec(
        "app: a\napp_id: 1\ncredentials:\n  <<: &creds {access_token: shared, token_command: x}\n"
        "  token_command: own\n"
    )
    (spec,) = project.report().specs
    assert spec.credentials is not None and spec.credentials.access_token is not None
    assert spec.credentials.access_token.get_secret_value() == "shared"
    assert spec.credentials.token_command == "own"


def test_anchors_do_not_cross_documents(project: Project) -> None:
    project.spec(
        "app: a\napp_id: 1\ncredentials: &creds\n  access_token: t\n---\napp: b\napp_id: 2\ncredentials: *creds\n"
    )
    assert project.problems() == [
        "specs/app.yaml:8:14: invalid YAML: found undefined alias 'creds'"
    ]


@pytest.mark.parametrize(
    "content",
    [
        "a: "
        + "[" * 200_000
        + "]" * 200_000
        + "\n",  # the C composer would overflow the C stack here
        "- " * 100_000 + "x\n",
        "a: " + "{b: " * 1000 + "1" + "}" * 1000 + "\n",
    ],
    ids=["flow-sequences", "compact-block-sequences", "flow-mappings"],
)
def test_deep_nesting_is_a_problem_not_a_crash(project: Project, content: str) -> None:
    project.spec(content)
    (problem,) = project.problems()
    assert problem.endswith(": document too large or nested too deeply (aliases expand too far)")


def test_device_files_are_refused_not_read(project: Project) -> None:
    project.spec("app: a\napp_id: 1\ncredentials:\n  access_token: ${file:/dev/zero}\n")
    config = load_project_config(project.root, None, environ={})
    with pytest.raises(SpecError) as caught:
        load_specs(config, [Path("specs/app.yaml"), Path("/dev/zero")])
    assert [str(p) for p in caught.value.problems] == [
        "/dev/zero:1:1: not a regular file",
        "specs/app.yaml:4:17: credentials.access_token: ${file:/dev/zero}: /dev/zero is not a regular file",
    ]


def test_a_failed_reference_is_its_fields_only_problem(project: Project) -> None:
    """Issue 14.12: `app_id: ${env:APP_ID}` unset was reported twice: the variable, then
    'expected a whole number' for the reference text left in its place."""
    project.spec(
        VALID_SPEC.replace("app_id: 12345678", "app_id: ${env:APP_ID}").replace(
            "  pool_cash_pledge: 1000", "  pool_cash_pledge: ${env:PLEDGE}"
        )
    )
    assert project.problems() == [
        "specs/app.yaml:2:9: app_id: environment variable APP_ID is not set (used as ${env:APP_ID}; set it or give a default: ${env:APP_ID:-value})",
        "specs/app.yaml:30:21: payment_service.pool_cash_pledge: environment variable PLEDGE is not set (used as ${env:PLEDGE}; set it or give a default: ${env:PLEDGE:-value})",
    ]


def test_a_failed_reference_does_not_hide_a_missing_image(project: Project) -> None:
    project.spec(
        VALID_SPEC.replace("  bank_name: 招商银行", "  bank_name: ${env:BANK}").replace(
            "images/front.png", "images/nope.png"
        )
    )
    assert [problem.split(": ")[1] for problem in project.problems()] == [
        "account.id_card_front",
        "payment_service.bank_name",
    ]


def test_suspend_is_an_optional_flag_of_a_spec(project: Project) -> None:
    """`suspend: true` stops the controller (Flux's suspend); left out, it is false."""
    project.spec(MINIMAL.format(app="held", app_id=1) + "suspend: true\n", "held.yaml")
    project.spec(MINIMAL.format(app="free", app_id=2), "free.yaml")
    project.spec(MINIMAL.format(app="odd", app_id=3) + "suspend: [yes]\n", "odd.yaml")
    report = project.report()
    assert {spec.app: spec.suspend for spec in report.specs} == {"held": True, "free": False}
    assert [str(p) for p in report.problems] == [
        "specs/odd.yaml:3:10: suspend: expected true or false (got a list)"
    ]


def test_a_spec_error_pickled_keeps_its_problems_and_message() -> None:
    """`plan` reads specs in a child process that sends its SpecError back pickled."""

    error = SpecError(
        [
            Problem("specs/b.yaml", 3, 5, "app_id", "expected a number"),
            Problem("specs/a.yaml", 1, 1, "app", "missing"),
        ]
    )
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is SpecError
    assert again.problems == error.problems
    assert str(again) == str(error) == again.user_message()
