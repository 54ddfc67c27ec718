"""The csv of a page written directly is exactly the csv module's text.

`writers.plain_csv` exists for speed only (issue 16): for any rows it either declines (None)
or returns what `csv.writer(lineterminator="\\n")` writes; quoting is always the csv module's.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.data.columns import ORDERS, format_rows
from smartpay_apply.data.writers import CsvWriter, plain_csv
from tests.data.test_columnar import ROW

_PLAIN_CELLS = st.one_of(st.none(), st.text(alphabet=st.sampled_from("ab 1.-é门\t"), max_size=5))
_ODD_CELLS = st.one_of(
    st.text(alphabet=st.sampled_from('a,"\r\n\x00'), min_size=1, max_size=3),
    st.integers(-3, 3),
)


@st.composite
def _rows(draw: Any) -> list[tuple[Any, ...]]:
    """Rows of plain cells (the fast path's case), now and then an odd cell or width."""
    width = draw(st.integers(1, 4))
    rows = [list(row) for row in draw(st.lists(st.tuples(*[_PLAIN_CELLS] * width), max_size=5))]
    if rows and draw(st.integers(0, 3)) == 0:
        rows[draw(st.integers(0, len(rows) - 1))][draw(st.integers(0, width - 1))] = draw(
            _ODD_CELLS
        )
    if rows and draw(st.integers(0, 5)) == 0:
        rows.append(draw(st.lists(_PLAIN_CELLS, min_size=width + 1, max_size=width + 1)))
    return [tuple(row) for row in rows]


def _csv_module(rows: list[tuple[Any, ...]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@settings(max_examples=400)
@given(_rows())
def test_plain_csv_is_the_csv_module_text_or_declines(rows: list[tuple[Any, ...]]) -> None:
    plain = plain_csv(rows)
    assert plain is None or plain == _csv_module(rows)
    assert CsvWriter(["a", "b"]).rows(rows) == _csv_module(rows)


def test_plain_csv_takes_an_export_page_and_leaves_quoting_to_the_csv_module() -> None:
    rows = format_rows(ORDERS, [ROW] * 3)
    assert plain_csv(rows) == _csv_module(rows)
    assert plain_csv(rows) is not None
    for special in ("门票,预订", 'say "hi"', "a\nb", "a\rb", "a\x00b"):
        odd = [*rows, (special, *rows[0][1:])]
        assert plain_csv(odd) is None
        assert CsvWriter(["x"] * 13).rows(odd) == _csv_module(odd)
    assert plain_csv([("",)]) is None  # one empty field: the csv module writes ""
    assert plain_csv([]) == ""
