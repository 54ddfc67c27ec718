"""validate, schema and dict through the real CLI (a subprocess), on the quickstart project."""

from __future__ import annotations

import json
from pathlib import Path

from tests.spec.conftest import QUICKSTART


def test_quickstart_validates_with_a_dictionary_warning(run_cli, quickstart: Path) -> None:
    """The quickstart gives the TP token its uploads need (credentials.tp_access_token), so the
    only warning left is the missing dictionary cache; the exit code stays 0."""
    result = run_cli("validate", cwd=quickstart)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "3 specs valid\n"
    assert result.stderr.splitlines() == [
        "warning: dictionary checks skipped: run `smartpay-apply dict --refresh`",
    ]


def test_local_images_without_a_tp_token_are_warned_at_their_line(
    run_cli, quickstart: Path
) -> None:
    """Without a TP token source, each spec's local id-card images get a located warning
    (issue 13.5: uploads take the TP's own token); the exit code stays 0."""
    config = quickstart / "smartpay.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("credentials:")
    end = text.index("\n\n", start)
    config.write_text(text[:start] + text[end + 2 :], encoding="utf-8")
    result = run_cli("validate", cwd=quickstart)
    assert result.returncode == 0, result.stderr
    hint = (
        "account.id_card_front: local id-card images are uploaded with the third-party "
        "platform's own token: set credentials.tp_access_token or credentials.tp_token_command "
        "in smartpay.yaml, or use the tp: flow"
    )
    assert result.stderr.splitlines() == [
        "warning: dictionary checks skipped: run `smartpay-apply dict --refresh`",
        f"warning: specs/cafe-shanghai.yaml:15:18: {hint}",
        f"warning: specs/shop-beijing.yaml:16:18: {hint}",
        f"warning: specs/tea-hangzhou.yaml:{_line_of(quickstart / 'specs' / 'tea-hangzhou.yaml', 'id_card_front')}:18: {hint}",
    ]


def _without_tp_hint(stderr: str) -> list[str]:
    """stderr's lines without the quickstart's TP-token warnings (tested above)."""
    return [line for line in stderr.splitlines() if "third-party platform's own token" not in line]


def _line_of(path: Path, key: str) -> int:
    """The 1-based line where `key:` is written in `path`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip().startswith(f"{key}:"))


def test_validate_lists_every_problem_and_exits_1(run_cli, quickstart: Path) -> None:
    spec = quickstart / "specs" / "shop-beijing.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace("  payment_days: 7", "  payment_days: 5").replace(
        "  bank_name: 招商银行", "  bank_nme: 招商银行"
    )
    spec.write_text(text, encoding="utf-8")
    result = run_cli(
        "validate", cwd=quickstart / "specs"
    )  # found from a subdirectory; paths relative to it
    assert result.returncode == 1
    assert result.stdout == ""
    assert _without_tp_hint(result.stderr) == [
        "warning: dictionary checks skipped: run `smartpay-apply dict --refresh`",
        "shop-beijing.yaml:29:3: payment_service.bank_nme: unknown field (did you mean 'bank_name'?)",
        "shop-beijing.yaml:33:17: payment_service.payment_days: 5 is not a settlement period (allowed: 1, 7, 14, 28)",
        "2 problems found in 3 file(s)",
    ]


def test_validate_given_paths_with_chdir_option(run_cli, quickstart: Path, tmp_path: Path) -> None:
    result = run_cli("-C", str(quickstart), "validate", "specs/cafe-shanghai.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1 spec valid\n"


def test_validate_paths_without_any_smartpay_yaml(run_cli, tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("app: one\napp_id: 1\n", encoding="utf-8")
    result = run_cli("validate", "one.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "1 spec valid\n")


def test_validate_without_config_says_how_to_fix(run_cli, tmp_path: Path) -> None:
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: no smartpay.yaml found in {tmp_path.resolve()} or any parent; create one or pass --config\n"
    )


def test_validate_binary_and_directory_inputs(run_cli, quickstart: Path) -> None:
    (quickstart / "specs" / "photo.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = run_cli("validate", "specs/photo.yaml", "specs/images", cwd=quickstart)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "warning: specs/images: no .yaml files in this directory",
        "specs/photo.yaml:1:1: not a text file (binary data)",
        "1 problem found in 1 file(s)",
    ]


def test_schema_is_json_schema_and_matches_the_shipped_copy(run_cli, tmp_path: Path) -> None:
    result = run_cli("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["app", "app_id"]
    payment = schema["$defs"]["PaymentServiceSpec"]
    assert payment["properties"]["payment_days"]["anyOf"][0]["enum"] == [1, 7, 14, 28]
    assert payment["additionalProperties"] is False
    shipped = json.loads((QUICKSTART / "smartpay-spec.schema.json").read_text(encoding="utf-8"))
    assert shipped == schema, (
        "examples/quickstart/smartpay-spec.schema.json is stale: regenerate it"
    )


def test_dict_without_cache_says_how_to_get_one(run_cli, quickstart: Path) -> None:
    result = run_cli("dict", cwd=quickstart)
    assert result.returncode == 1
    assert result.stderr == "Error: no dictionary cache yet: run `smartpay-apply dict --refresh`\n"


def test_dict_refresh_from_sandbox_over_http_then_validate_uses_it(
    run_cli, quickstart: Path, sandbox
) -> None:
    env = {"SMARTPAY_ENDPOINT": sandbox.base_url}
    refreshed = run_cli("dict", "--refresh", "--format", "json", cwd=quickstart, env=env)
    assert refreshed.returncode == 0, refreshed.stderr
    data = json.loads(refreshed.stdout)
    assert data["endpoint"] == sandbox.base_url
    assert "招商银行" in data["banks"]
    assert "海淀区" in data["provinces"]["北京市"]
    assert data["payment_days"] == {"1": "T+1", "7": "T+7", "14": "T+14", "28": "T+28"}
    assert sandbox.calls(path="/rest/2.0/smartapp/pay/paymentservice/dict")
    cached = json.loads((quickstart / ".smartpay" / "dict.json").read_text(encoding="utf-8"))
    assert cached == data

    shown = run_cli("dict", cwd=quickstart)
    assert shown.returncode == 0
    assert "payment_days: 1 (T+1), 7 (T+7), 14 (T+14), 28 (T+28)" in shown.stdout.splitlines()

    spec = quickstart / "specs" / "shop-beijing.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("open_city: 海淀区", "open_city: 海定区"),
        encoding="utf-8",
    )
    result = run_cli("validate", cwd=quickstart)
    assert result.returncode == 1
    assert _without_tp_hint(result.stderr)[0] == (
        "specs/shop-beijing.yaml:32:14: payment_service.open_city: unknown city '海定区' in '北京市' (did you mean: 海淀区?)"
    )


def test_validate_with_a_broken_config_names_its_line(run_cli, tmp_path: Path) -> None:
    (tmp_path / "smartpay.yaml").write_text("endpoint: sandbox\nconcurency: 4\n", encoding="utf-8")
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: invalid project config:\n"
        "smartpay.yaml:2:1: concurency: unknown field (did you mean 'concurrency'?)\n"
    )


def test_dict_refresh_without_specs_or_credentials_says_why(run_cli, tmp_path: Path) -> None:
    (tmp_path / "smartpay.yaml").write_text("endpoint: sandbox\n", encoding="utf-8")
    result = run_cli("dict", "--refresh", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: no credentials to call the openapi with: add a spec with `credentials:` or a "
        "project-wide `credentials:` default (access_token or token_command) to smartpay.yaml "
        "(docs/credentials.md)\n"
    )


def test_dict_refresh_with_only_broken_specs_points_at_validate(run_cli, tmp_path: Path) -> None:
    (tmp_path / "smartpay.yaml").write_text("endpoint: sandbox\n", encoding="utf-8")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text("app: a\napp_id: 1\naccount: {}\n", encoding="utf-8")
    result = run_cli("dict", "--refresh", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no valid spec to take credentials from (")
    assert "run `smartpay-apply validate`" in result.stderr


def test_dict_refresh_with_project_credentials_and_no_spec(
    run_cli, tmp_path: Path, sandbox
) -> None:
    """A new project fetches the dictionary before it has specs: the project-wide credentials do."""
    config = tmp_path / "smartpay.yaml"
    config.write_text(
        f"endpoint: {sandbox.base_url}\ncredentials:\n  access_token: ${{env:TOKEN}}\n",
        encoding="utf-8",
    )
    refreshed = run_cli(
        "dict", "--refresh", "--format", "json", cwd=tmp_path, env={"TOKEN": "sandbox-77"}
    )
    assert refreshed.returncode == 0, refreshed.stderr
    assert "招商银行" in json.loads(refreshed.stdout)["banks"]
    assert sandbox.calls(app_id=77, path="/rest/2.0/smartapp/pay/paymentservice/dict")
    assert "sandbox-77" not in refreshed.stdout + refreshed.stderr

    config.write_text(
        f"endpoint: {sandbox.base_url}\ncredentials:\n  token_command: echo sandbox-78\n",
        encoding="utf-8",
    )
    again = run_cli("dict", "--refresh", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sandbox.calls(app_id=78, path="/rest/2.0/smartapp/pay/paymentservice/dict")

    config.write_text(f"endpoint: {sandbox.base_url}\ncredentials:\n  tp: {{}}\n", encoding="utf-8")
    tp = run_cli("dict", "--refresh", cwd=tmp_path)
    assert tp.returncode == 1
    assert "tp credentials give a token per mini-program: add a valid spec" in tp.stderr


def test_quickstart_specs_use_only_names_the_schema_knows(run_cli) -> None:
    """What an editor checks with the schema: every key known, every required key present."""
    from ruamel.yaml import YAML

    schema = json.loads((QUICKSTART / "smartpay-spec.schema.json").read_text(encoding="utf-8"))

    def check(data: dict, definition: dict, where: str) -> None:
        assert set(definition.get("required", [])) <= set(data), where
        for key, value in data.items():
            assert key in definition["properties"], f"{where}.{key}"
            prop = definition["properties"][key]
            refs = [option["$ref"] for option in prop.get("anyOf", []) if "$ref" in option]
            if refs and isinstance(value, dict):
                check(value, schema["$defs"][refs[0].rsplit("/", 1)[-1]], f"{where}.{key}")

    for path in sorted((QUICKSTART / "specs").glob("*.yaml")):
        check(YAML(typ="safe").load(path.read_text(encoding="utf-8")), schema, path.name)


def test_validate_reports_a_missing_image_alongside_other_problems(
    run_cli, quickstart: Path
) -> None:
    """All problems at once: a typo elsewhere in the spec does not hide a missing image file."""
    spec = quickstart / "specs" / "shop-beijing.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace("id_card_front: images/id-front.png", "id_card_front: images/missing.png")
    spec.write_text(text.replace("  bank_name: 招商银行", "  bank_nme: 招商银行"), encoding="utf-8")
    result = run_cli("validate", "specs/shop-beijing.yaml", cwd=quickstart)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-3:] == [
        "specs/shop-beijing.yaml:16:18: account.id_card_front: image file not found (paths are relative to this spec file)",
        "specs/shop-beijing.yaml:29:3: payment_service.bank_nme: unknown field (did you mean 'bank_name'?)",
        "2 problems found in 1 file(s)",
    ]


def test_validate_locates_huge_and_fractional_numbers_all_at_once(
    run_cli, quickstart: Path
) -> None:
    """Issue 14.3 / 13.7: `1e400` was 'Internal error: InvalidOperation' hiding every other
    problem, a 27-digit app_id passed validate, and "500.5" yuan reached Baidu (errno 60000)."""
    pool = "(allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)"
    day = (
        "(allowed: a whole number of yuan from 0 to 10000; Baidu's field is a Long: 500, not 500.5)"
    )
    appid = "(allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)"
    specs = quickstart / "specs"
    beijing = specs / "shop-beijing.yaml"
    text = beijing.read_text(encoding="utf-8")
    text = text.replace("app_id: 20230001", "app_id: 99999999999999999999999999")
    text = text.replace("pool_cash_pledge: 500", "pool_cash_pledge: 1e400")
    text = text.replace("day_max_frozen_amount: 5000", "day_max_frozen_amount: 1e400")
    beijing.write_text(
        text.replace("  bank_name: 招商银行", "  bank_nme: 招商银行"), encoding="utf-8"
    )
    hangzhou = specs / "tea-hangzhou.yaml"
    text = hangzhou.read_text(encoding="utf-8")
    text = text.replace("pool_cash_pledge: 1000", 'pool_cash_pledge: "500.5"')
    hangzhou.write_text(text.replace("day_max_frozen_amount: 10000", "day_max_frozen_amount: 1e30"))

    result = run_cli("validate", cwd=quickstart)
    assert result.returncode == 1
    assert "Internal error" not in result.stderr
    assert [line for line in result.stderr.splitlines() if not line.startswith("warning")] == [
        f"specs/shop-beijing.yaml:4:9: app_id: 99999999999999999999999999 is out of range {appid}",
        "specs/shop-beijing.yaml:29:3: payment_service.bank_nme: unknown field (did you mean 'bank_name'?)",
        f"specs/shop-beijing.yaml:35:21: payment_service.pool_cash_pledge: 1E+400 is out of range {pool}",
        f"specs/shop-beijing.yaml:36:26: payment_service.day_max_frozen_amount: 1E+400 is out of range {day}",
        f"specs/tea-hangzhou.yaml:32:21: payment_service.pool_cash_pledge: 500.5 is not a whole number {pool}",
        f"specs/tea-hangzhou.yaml:33:26: payment_service.day_max_frozen_amount: 1E+30 is out of range {day}",
        "6 problems found in 3 file(s)",
    ]


def test_validate_reports_every_problem_in_one_run_once_each(run_cli, quickstart: Path) -> None:
    """Issue 14.12: the unknown bank and city appeared only after `commission_rate: 10` was
    fixed, and an unset ${env:} gave a second, follow-on problem on the same field."""
    from smartpay_apply.spec.dictionary import DictCache, PaymentDictData

    DictCache(quickstart / ".smartpay" / "dict.json").save(
        PaymentDictData(
            provinces={"北京市": ["海淀区", "朝阳区"], "浙江省": ["杭州市"]},
            banks=["招商银行", "工商银行", "浙商银行"],
            commission_rates={6: "千分之六", 10: "百分之一"},
            payment_days={1: "T+1", 7: "T+7", 14: "T+14", 28: "T+28"},
        )
    )
    spec = quickstart / "specs" / "shop-beijing.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace("commission_rate: 6", "commission_rate: 10")
    text = text.replace("bank_name: 招商银行", "bank_name: 招商银")
    text = text.replace("open_city: 海淀区", "open_city: 海定区")
    spec.write_text(text.replace("app_id: 20230001", "app_id: ${env:SHOP_APP_ID}"))
    result = run_cli("validate", cwd=quickstart, env={"SHOP_APP_ID": ""})
    assert result.returncode == 1
    assert _without_tp_hint(result.stderr) == [
        "specs/shop-beijing.yaml:4:9: app_id: environment variable SHOP_APP_ID is not set (used as ${env:SHOP_APP_ID}; set it or give a default: ${env:SHOP_APP_ID:-value})",
        "specs/shop-beijing.yaml:29:14: payment_service.bank_name: unknown bank '招商银' (did you mean: 招商银行, 浙商银行, 工商银行?)",
        "specs/shop-beijing.yaml:32:14: payment_service.open_city: unknown city '海定区' in '北京市' (did you mean: 海淀区?)",
        "specs/shop-beijing.yaml:34:20: payment_service.commission_rate: 10 is not the mini-program rate (allowed: 6)",
        "4 problems found in 3 file(s)",
    ]


def test_a_bad_wait_timeout_or_sandbox_setting_stops_every_command_at_its_line(
    run_cli, quickstart: Path
) -> None:
    """Issue 14.10: `apply.wait_timeout: forever` and `sandbox.audit_policy` typos passed
    validate and plan and failed later without naming the file or the key."""
    config = quickstart / "smartpay.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "apply:\n  wait_timeout: forever\nsandbox:\n  audit_policy: aprove\n",
        encoding="utf-8",
    )
    lines = config.read_text(encoding="utf-8").splitlines()
    wait_line = lines.index("  wait_timeout: forever") + 1
    expected = (
        "Error: invalid project config:\n"
        f"smartpay.yaml:{wait_line}:17: apply.wait_timeout: invalid duration 'forever': use e.g. 90s, 10m, 1h or 1h30m\n"
        f"smartpay.yaml:{wait_line + 2}:17: sandbox.audit_policy: must be one of approve, reject, manual (got 'aprove')\n"
    )
    for command in (["validate"], ["plan"], ["apply", "--auto-approve"]):
        result = run_cli(*command, cwd=quickstart)
        assert (result.returncode, result.stderr) == (1, expected), command
    assert not (quickstart / ".smartpay" / "state.db").exists()


def test_validate_json_is_one_array_for_ci_annotators(run_cli, quickstart: Path) -> None:
    """`--format json`: every warning and problem as {path, line, column, field, message,
    severity} on stdout, nothing on stderr, exit codes as for text; `--json` is the same."""
    spec = quickstart / "specs" / "shop-beijing.yaml"
    text = spec.read_text(encoding="utf-8").replace("payment_days: 7", "payment_days: 5")
    spec.write_text(text.replace("  bank_name: 招商银行", "  bank_nme: 招商银行"), encoding="utf-8")
    result = run_cli("validate", "--format", "json", "specs/shop-beijing.yaml", cwd=quickstart)
    assert (result.returncode, result.stderr) == (1, "")
    items = json.loads(result.stdout)
    assert items == [
        {
            "path": None,
            "line": None,
            "column": None,
            "field": None,
            "message": "dictionary checks skipped: run `smartpay-apply dict --refresh`",
            "severity": "warning",
        },
        {
            "path": "specs/shop-beijing.yaml",
            "line": 29,
            "column": 3,
            "field": "payment_service.bank_nme",
            "message": "unknown field (did you mean 'bank_name'?)",
            "severity": "error",
        },
        {
            "path": "specs/shop-beijing.yaml",
            "line": 33,
            "column": 17,
            "field": "payment_service.payment_days",
            "message": "5 is not a settlement period (allowed: 1, 7, 14, 28)",
            "severity": "error",
        },
    ]
    alias = run_cli("validate", "--json", "specs/shop-beijing.yaml", cwd=quickstart)
    assert (alias.returncode, alias.stdout, alias.stderr) == (1, result.stdout, "")


def test_validate_json_of_valid_specs_lists_the_warnings_and_exits_0(
    run_cli, quickstart: Path
) -> None:
    result = run_cli("validate", "--format", "json", cwd=quickstart)
    assert (result.returncode, result.stderr) == (0, "")
    items = json.loads(result.stdout)
    assert [(item["severity"], item["path"]) for item in items] == [("warning", None)]
    assert "dict --refresh" in items[0]["message"]


def test_validate_json_reports_a_broken_config_as_problems(run_cli, tmp_path: Path) -> None:
    (tmp_path / "smartpay.yaml").write_text("endpoint: sandbox\nconcurency: 4\n", encoding="utf-8")
    result = run_cli("validate", "--format", "json", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    assert json.loads(result.stdout) == [
        {
            "path": "smartpay.yaml",
            "line": 2,
            "column": 1,
            "field": "concurency",
            "message": "unknown field (did you mean 'concurrency'?)",
            "severity": "error",
        }
    ]
    (tmp_path / "smartpay.yaml").unlink()
    missing = run_cli("validate", "--json", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (1, "")
    (item,) = json.loads(missing.stdout)
    assert (item["path"], item["severity"]) == (None, "error")
    assert item["message"].startswith("no smartpay.yaml found in ")
