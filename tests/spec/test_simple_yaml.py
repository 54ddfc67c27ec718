"""The fast reader (yamldoc/simple.py) and the positioned reader read one language.

Whatever `read_simple` accepts, the positioned reader (`read.parse`, the C parser's events)
reads without a problem to the same data — same keys, same values, the same source text for
every number and boolean — and with the same positions for a spec's `app` and `app_id`. Checked
over the examples, the fuzz corpus's alphabets and the YAML 1.1/1.2 edge cases; anything the
fast reader cannot vouch for it declines, and the loader reads that file with positions.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartpay_apply.yamldoc.convert import plain_tree
from smartpay_apply.yamldoc.read import parse
from smartpay_apply.yamldoc.simple import Typed, read_simple
from smartpay_apply.yamldoc.tree import MapNode, Scalar
from tests.spec.test_fuzz import FIELD_NAMES, _dump, structures

REPO = Path(__file__).resolve().parents[2]
DISPLAY = Path("spec.yaml")


def agree(text: str) -> bool:
    """Assert that the fast reader either declines `text` or reads what the positioned reader
    reads; True when it accepted."""
    fast = read_simple(text)
    if fast is None:
        return False
    full = parse(text, DISPLAY)
    assert full.problems == [], (text, full.problems)
    documents = [doc for doc in full.documents if doc is not None]
    assert len(documents) == 1, text
    (document,) = documents
    assert isinstance(document, MapNode)
    assert fast.data == plain_tree(document), text
    for name in ("app", "app_id"):
        entry = document.entries.get(name)
        if entry is not None and isinstance(entry.value, Scalar) and name in fast.where:
            assert fast.where[name] == (entry.value.loc.line, entry.value.loc.column), text
    return True


def test_every_example_and_project_spec_reads_alike() -> None:
    files = sorted(REPO.glob("examples/**/*.yaml")) + sorted(REPO.glob("specs/**/*.yaml"))
    assert files
    accepted = [path for path in files if agree(path.read_text(encoding="utf-8"))]
    assert accepted  # the examples are what the fast reader is for


EDGE_VALUES = [
    # YAML 1.1 booleans and numbers: strings or other numbers in 1.2 (the tool's language)
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "True", "TRUE", "false",
    "010", "0o17", "0x1f", "0X1F", "0b101", "1_000", "+5", "-0", "00", "08", "09",
    ".inf", "-.inf", "+.INF", ".nan", ".NaN", "1e3", "1E+3", "1.0e-3", "0.", ".5", "1.50",
    "12345678901234567890123", "1" * 5000, "6214830100001234",
    "2024-01-02", "2024-01-02 10:00:00", "2001-12-14t21:59:43.10-05:00", "12:30", "1:20:30",
    "~", "null", "Null", "NULL", "", "<<", "=", "-", "--", "---", "...", "-x", "- x",
    "a: b", "a:", "a:b", "a #b", "a#b", "a  b", "http://x.test/a?b=c#d", "'x'", '"x"',
    "'it''s'", '"a\\"b"', '"tab\\t"', "'a' b", '"a" # c', "{}", "[]", "{a: 1}", "[1, 2]",
    "&a x", "*a", "!!str 5", "!tag x", "|", ">", "%x", "@x", "`x", "?x", ":x", ",x",
    "${env:X}", "$${env:X}", "北京市", "日用百货 零售", "a\u3000b", "\u00a0x", "x\u2028y",
    "x\x85y", "\ufeffx", "\ufffd",
]  # fmt: skip


@pytest.mark.parametrize("value", EDGE_VALUES)
def test_edge_values_read_alike_or_are_declined(value: str) -> None:
    agree(f"app: shop\napp_id: {value}\npayment_service:\n  bank_card: {value}\n")
    agree(f"app: {value}\n")


@pytest.mark.parametrize(
    "text",
    [
        "app: a\napp: b\n",  # a duplicate key
        "a:\n  b: 1\n  b: 2\n",
        "a: 1\n  b: 2\n",  # more indented after a value
        "a:\n    b: 1\n  c: 2\n",  # an indentation no mapping has
        "a:\n  b\n",  # a plain scalar on the next line
        "a: x\n  y\n",  # a continued plain scalar
        "---\na: 1\n---\nb: 2\n",  # two documents
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n...\n",
        "a: 1\r\nb: 2\r\n",
        "a:\t1\n",
        "  a: 1\n",  # an indented root
        "a :1\n",
        "a: 'x\n  y'\n",
        "- a\n- b\n",
        "a: [\n  1]\n",
        "<<: {a: 1}\n",
        "a: x # y: z\n",
    ],
)
def test_what_the_full_reader_words_differently_is_declined_or_agrees(text: str) -> None:
    agree(text)


def test_plain_spec_files_are_accepted() -> None:
    text = (
        "# a comment\n---\napp: shop-a   # name\napp_id: 1001\ncredentials:\n"
        "  access_token: ${env:T:-x}\n\ndeveloper_config: {}\npayment_service:\n"
        '  bank_card: "0012345678"\n  service_phone: 01012345678\n  payment_days: 7\n'
        "  pool_cash_pledge: 500.50\n  app_name: '小店 #1'\n  flag: true\n  none:\n"
    )
    assert agree(text)
    fast = read_simple(text)
    assert fast is not None
    service = fast.data["payment_service"]
    assert service["service_phone"] == Typed(1012345678, "01012345678")
    assert service["pool_cash_pledge"] == Typed(Decimal("500.50"), "500.50")
    assert service["bank_card"] == "0012345678" and service["none"] is None
    assert fast.data["developer_config"] == {}
    assert fast.where["app"] == (3, 6)


KEY_OR_NOISE = st.sampled_from([*[f for f in FIELD_NAMES if f], "a", "b_1"])
VALUE = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.text(alphabet=st.sampled_from(list(":-#'\" abc1é北.${}[]&*!|>%@`,?~\\")), max_size=12),
)


@st.composite
def block_documents(draw: st.DrawFn) -> str:
    """Block mappings as people write them, with the odd mistake: keys, values, nesting,
    comments, blank lines and indentation drawn at random."""
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 2, 4, 1, 3]))
        kind = draw(st.sampled_from(["pair", "pair", "pair", "parent", "comment", "blank"]))
        if kind == "comment":
            lines.append(f"{indent}# {draw(VALUE)}")
        elif kind == "blank":
            lines.append(indent)
        elif kind == "parent":
            lines.append(f"{indent}{draw(KEY_OR_NOISE)}:")
        else:
            spaces = " " * draw(st.sampled_from([1, 1, 2]))
            comment = draw(st.sampled_from(["", "", " # note", "  #x", "#x"]))
            lines.append(f"{indent}{draw(KEY_OR_NOISE)}:{spaces}{draw(VALUE)}{comment}")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block_documents())
def test_random_block_documents_read_alike_or_are_declined(text: str) -> None:
    agree(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_the_fuzz_corpus_structures_read_alike_or_are_declined(data: object) -> None:
    agree(_dump(data).decode("utf-8"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \n\tabc1é北\x00\x85\ufeff$")),
        max_size=120,
    )
)
def test_yaml_like_text_reads_alike_or_is_declined(text: str) -> None:
    agree(text)


NESTED = st.recursive(
    VALUE,
    lambda children: st.dictionaries(KEY_OR_NOISE, children, min_size=1, max_size=4),
    max_leaves=12,
)


def _block(data: dict[str, object], indent: int = 0) -> list[str]:
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{' ' * indent}{key}:")
            lines += _block(value, indent + 2)
        else:
            lines.append(f"{' ' * indent}{key}: {value}")
    return lines


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEY_OR_NOISE, NESTED, min_size=1, max_size=6))
def test_nested_block_mappings_read_alike_or_are_declined(data: dict[str, object]) -> None:
    agree("\n".join(_block(data)) + "\n")
