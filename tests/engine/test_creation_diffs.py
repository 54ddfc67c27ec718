"""Creation diffs built once per spec section (engine/normalise.py `creation`): apply decides a
mini-program several times in a run, and a spec that changes must never be shown (or sent) with
the diff of its earlier values."""

from __future__ import annotations

import gc

from smartpay_apply.engine.normalise import creation, diff, section_values
from tests.engine.factory import BANK_CARD, OTHER_BANK_CARD, make_spec


def test_a_creation_is_every_field_of_the_section_as_new() -> None:
    spec = make_spec()
    for section in (spec.account, spec.developer_config, spec.payment_service):
        assert creation(section) == diff({}, section_values(section))
        assert creation(section)  # a full section: something to create
    assert creation(None) == ()


def test_a_changed_spec_gets_the_diff_of_its_new_values() -> None:
    """Sections are compared by identity in the cache: a new spec object (the file changed,
    a controller re-read it) must get its own diff, even where an old object's id is reused."""
    before = {
        c.field: c.new
        for c in creation(make_spec(payment_service={"bank_card": BANK_CARD}).payment_service)
    }
    gc.collect()  # the first spec is gone: its id may be handed to the next object
    after_spec = make_spec(payment_service={"bank_card": OTHER_BANK_CARD})
    after = {c.field: c.new for c in creation(after_spec.payment_service)}
    assert before["bank_card"] != after["bank_card"]
    assert after == {c.field: c.new for c in diff({}, section_values(after_spec.payment_service))}
