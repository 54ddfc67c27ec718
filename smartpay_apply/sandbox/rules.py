"""The rules the sandbox enforces by name: the strict reading of Baidu's doc, on by default.

Each rule comes from the payment-service doc, Baidu's SDKs or the public FAQ (docs/sandbox.md
says which), or is a guess where the doc is silent, then the guess least convenient for a
tool. `sandbox: {relax: [name, ...]}` turns named rules off for a demo of an older tool; the
default is empty, and no test of a rule relaxes it.
"""

from __future__ import annotations

#: name -> what the strict rule does (the relaxed behaviour is in docs/sandbox.md).
RULES: dict[str, str] = {
    "fresh_nulls": "auditstatus of a mini-program with nothing submitted answers null status",
    "no_service_shapes": "getbindservice without a service answers one of several shapes",
    "config_needs_approved_account": "developconfig/submit needs an approved account (60016)",
    "service_needs_approved_config": "paymentservice/create needs an approved developer config",
    "no_update_in_review": "paymentservice/update during a review is 60019",
    "upload_tp_token": "image upload takes the TP's token; its URLs serve that TP's apps only",
    "whole_yuan": "pool_cash_pledge and day_max_frozen_amount are integer literals",
    "date_fields": "the optional account date fields are YYYY-MM-DD",
    "form_body_only": "POST fields come from the form body only, never the query string",
    "documented_shapes": "dict is the bare object, otherdetail has no paging fields, "
    "incomedetail takes one day",
    "push_success_body": "a push is delivered only when answered 2xx with the body `success`",
    "approved_values_shown": "getbindservice shows the last approved values after a rejection",
    "config_change_rereview": "a developer-config change puts an approved service into review",
}
