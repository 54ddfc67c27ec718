"""Spec files as a user writes them (YAML text), for the tests that load them from disk."""

from __future__ import annotations

#: A valid spec; line numbers matter to the tests (they assert file:line:col).
VALID_SPEC = """\
app: shop-beijing
app_id: 12345678
credentials:
  access_token: sandbox-12345678
account:
  business_scope: 餐饮服务
  business_province: 北京市
  business_city: 北京市
  business_detail_address: 海淀区上地十街10号
  legal_person: 张三
  legal_id: 11010519491231002X
  id_card_front: images/front.png
  id_card_back: images/back.png
developer_config:
  tp_public_key: ${file:keys/tp.pem}
  pay_notify_url: https://example.com/notify
  refund_audit_url: https://example.com/audit
  refund_succ_url: https://example.com/done
payment_service:
  app_name: 北京小店
  service_phone: "13514310000"
  bank_account: 北京小店餐饮有限公司
  bank_card: "6217000010001234"
  bank_name: 招商银行
  bank_branch: 招商银行北京上地支行
  open_province: 北京市
  open_city: 海淀区
  payment_days: 1
  commission_rate: 6
  pool_cash_pledge: 1000
  day_max_frozen_amount: 10000
"""


def spec_without_credentials(app: str, app_id: int) -> str:
    """VALID_SPEC for another mini-program, with no `credentials:` (its token comes from the
    TP flow): the same account, developer config and payment service."""
    return f"app: {app}\napp_id: {app_id}\n" + VALID_SPEC[VALID_SPEC.index("account:\n") :]
