"""One write per plan action, and how an uncertain outcome is settled — never by repeating blindly.

`Actions(spec, api, tp, recorder).run(step)` calls one endpoint for `step` and records what the
next plan must know (the submission's fingerprint) before it returns. Recovery, per action:
- a create answered "already exists" (60009/60012, or 60017/60019 after a possibly-delivered
  attempt) is confirmed by a read and recorded as ours;
- a write whose outcome is unknown (OutcomeUnknownError) is settled by reading the state again;
  if it did not happen, the action fails with "nothing was repeated: run apply again";
- the developer config, which cannot be read back, is settled by sending the same values once
  more: success or 60018 ("in review") both mean Baidu has them.
Refusals that mean "not yet" (an audit still running) propagate as BusinessError; the executor
turns them into waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartpay_apply.engine.images import IMAGE_FIELDS, image_urls
from smartpay_apply.engine.steps import Action, Step
from smartpay_apply.errors import SmartpayError
from smartpay_apply.timeutil import now

if TYPE_CHECKING:
    from pydantic import BaseModel

    from smartpay_apply.api.app import AppApi, TpApi
    from smartpay_apply.engine.recorder import Recorder
    from smartpay_apply.spec.models import AppSpec

#: Account fields naming local files: apply uploads them and sends the URL fields instead.
LOCAL_IMAGE_FIELDS: frozenset[str] = frozenset(file_field for file_field, _url in IMAGE_FIELDS)
#: "in review" on a developer-config submission.
DEVELOPER_CONFIG_IN_REVIEW = 60018
ACCOUNT_DECIDED_OR_IN_REVIEW = (2, 4, 5)
SECTION_LABELS = {
    "account": "account",
    "developer_config": "developer config",
    "payment_service": "payment service",
}


@dataclass(frozen=True)
class Done:
    """How a write (or adopt) ended: submitted | updated | already_exists | adopted."""

    result: str
    detail: str | None = None


class Actions:
    """The writes of one mini-program in one run."""

    def __init__(self, spec: AppSpec, api: AppApi, tp: TpApi | None, recorder: Recorder) -> None:
        self.spec = spec
        self.api = api
        self.tp = tp
        self.recorder = recorder

    async def run(self, step: Step) -> Done:
        """Execute `step` (a write or an adopt; markers never reach here)."""
        match step.action:
            case Action.CREATE_ACCOUNT:
                return await self.create_account()
            case Action.SUBMIT_DEVELOPER_CONFIG:
                return await self.submit_developer_config()
            case Action.CREATE_PAYMENT_SERVICE:
                return await self.create_payment_service()
            case Action.UPDATE_PAYMENT_SERVICE:
                return await self.update_payment_service()
            case Action.UPDATE_BIND_SERVICE:
                return await self.update_bind_service()
            case Action.ADOPT:
                return await self.adopt(step.section)
        raise ValueError(f"{step.action.value} is a marker, not an action")

    # ------------------------------------------------------------------ account

    async def create_account(self) -> Done:
        """account/create; "already exists" or an unknown outcome is settled by the status."""
        from smartpay_apply.api.errors import AlreadyExistsError, OutcomeUnknownError
        from smartpay_apply.api.models import AccountCreateRequest

        account = self.spec.account
        assert account is not None, "decide plans create_account only for a managed account"
        urls, uses = await image_urls(self.spec, self.tp, self.recorder)
        request = AccountCreateRequest(
            **{**section_fields(account, skip=LOCAL_IMAGE_FIELDS), **urls}
        )
        try:
            await self.api.create_account(request)
            done = Done("submitted", "account submitted for audit")
        except (AlreadyExistsError, OutcomeUnknownError) as error:
            status = await self.api.get_account_audit_status()
            if status.status not in ACCOUNT_DECIDED_OR_IN_REVIEW:
                if isinstance(error, OutcomeUnknownError):
                    raise SmartpayError(
                        f"account/create: the outcome was unknown and the account does not "
                        f"exist (status {status.status}); nothing was repeated: run apply again"
                    ) from None
                raise
            done = Done(
                "already_exists",
                f"account already exists (confirmed by account/auditstatus: status "
                f"{status.status})",
            )
        await self.recorder.submitted(self.spec, "account")
        return Done(done.result, _with_images(done.detail, uses))

    # ------------------------------------------------------------------ developer config

    async def submit_developer_config(self) -> Done:
        """developconfig/submit. Its outcome is unreadable: an unknown one is settled by sending
        the same values once more (a duplicate is the same request, not a second object)."""
        from smartpay_apply.api.errors import BusinessError, OutcomeUnknownError
        from smartpay_apply.api.models import DeveloperConfigRequest

        config = self.spec.developer_config
        assert config is not None, "decide plans submit_developer_config only when managed"
        request = DeveloperConfigRequest(**section_fields(config))
        detail = "developer config submitted (its audit outcome arrives only as a pushed event)"
        # Recorded as submitted when sent, not when answered: its outcome event is matched by
        # Baidu's eventTime (whole seconds) against this time, and an audit decided within the
        # answer's latency across a second boundary would otherwise look older than it.
        sent = now()
        try:
            await self.api.submit_developer_config(request)
        except OutcomeUnknownError:
            try:
                await self.api.submit_developer_config(request)
            except BusinessError as error:
                if error.errno != DEVELOPER_CONFIG_IN_REVIEW:
                    raise
                detail = (
                    "developer config submitted (confirmed: in review after an unknown outcome)"
                )
        except BusinessError as error:
            if error.errno != DEVELOPER_CONFIG_IN_REVIEW:
                raise
            if await self.recorder.last_submission(self.spec, "developer_config") is not None:
                raise  # an earlier, different submission is in review: wait for it (executor)
            # No record but one in review: ours, from a run that died before recording it.
            detail = (
                "developer config already in review with no record (an interrupted run): recorded"
            )
        await self.recorder.submitted(self.spec, "developer_config", at=sent)
        return Done("submitted", detail)

    # ------------------------------------------------------------------ payment service

    async def create_payment_service(self) -> Done:
        """paymentservice/create; "already exists" or an unknown outcome: getbindservice.

        Recorded as a submission (fingerprint), so a rejection is not resubmitted blindly; and,
        since Baidu creates a service only on a completed developer config, a developer config
        whose outcome event never arrived is recorded as approved.
        """
        from smartpay_apply.api.errors import AlreadyExistsError, OutcomeUnknownError

        try:
            await self.api.create_payment_service(self._service_request())
            done = Done("submitted", "payment service created, in review")
        except (AlreadyExistsError, OutcomeUnknownError) as error:
            if await self.api.get_bind_service() is None:
                if isinstance(error, OutcomeUnknownError):
                    raise SmartpayError(
                        "paymentservice/create: the outcome was unknown and no payment service "
                        "exists; nothing was repeated: run apply again"
                    ) from None
                raise error from None
            done = Done(
                "already_exists", "payment service already exists (confirmed by getbindservice)"
            )
        await self.recorder.submitted(self.spec, "payment_service")
        # Decided in the store with the step's line (one store call less in the slot, issue 16).
        await self.recorder.approve_pending(self.spec, "developer_config")
        return done

    async def update_payment_service(self) -> Done:
        """paymentservice/update (no audit): the NO_AUDIT_PAYMENT_FIELDS at once."""
        from smartpay_apply.api.errors import OutcomeUnknownError
        from smartpay_apply.api.models import PaymentServiceUpdateRequest
        from smartpay_apply.engine.normalise import normalise_value
        from smartpay_apply.spec.models import NO_AUDIT_PAYMENT_FIELDS

        service = self.spec.payment_service
        assert service is not None
        values = {name: getattr(service, name) for name in sorted(NO_AUDIT_PAYMENT_FIELDS)}
        try:
            await self.api.update_payment_service(PaymentServiceUpdateRequest(**values))
        except OutcomeUnknownError:
            bound = await self.api.get_bind_service()
            if bound is None or any(
                normalise_value(name, getattr(bound, name)) != normalise_value(name, value)
                for name, value in values.items()
            ):
                raise SmartpayError(
                    "paymentservice/update: the outcome was unknown and getbindservice shows "
                    "the old values; nothing was repeated: run apply again"
                ) from None
            return Done("updated", "updated (confirmed by getbindservice after an unknown outcome)")
        return Done("updated", "updated without audit")

    async def update_bind_service(self) -> Done:
        """paymentservice/updatebindservice (audited); an unknown outcome: auditstatus.

        Recorded as a submission: getbindservice may show the last approved values while (and
        after) Baidu reviews this one, so the fingerprint is what tells a rejected spec apart.
        """
        from smartpay_apply.api.errors import OutcomeUnknownError

        try:
            await self.api.update_bind_service(self._service_request())
            detail = "submitted for audit"
        except OutcomeUnknownError:
            status = await self.api.get_payment_service_audit_status()
            if status.status != 1:
                raise SmartpayError(
                    "paymentservice/updatebindservice: the outcome was unknown and no audit is "
                    "in progress; nothing was repeated: run apply again"
                ) from None
            detail = "submitted for audit (confirmed by auditstatus after an unknown outcome)"
        await self.recorder.submitted(self.spec, "payment_service")
        return Done("submitted", detail)

    def _service_request(self) -> Any:
        """create and updatebindservice send the whole section, optional fields included."""
        from smartpay_apply.api.models import PaymentServiceRequest

        service = self.spec.payment_service
        assert service is not None, "decide plans payment-service steps only when managed"
        return PaymentServiceRequest(**section_fields(service))

    # ------------------------------------------------------------------ adopt

    async def adopt(self, section: str) -> Done:
        """Record what exists at Baidu as submitted (its fingerprint); no API call."""
        await self.recorder.submitted(self.spec, section)
        return Done(
            "adopted", f"{SECTION_LABELS.get(section, section)}: fingerprint recorded, no API call"
        )


def section_fields(section: BaseModel, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every field of a spec section that is set, under the API's own name.

    Why every field and not a list: the spec models are the contract of what a user can ask
    for, and the field names are the API's. A list here once silently dropped the optional
    fields (license_*, legal_card_*, industry_id, manage_permit_url, bank_phone_number) that
    validate accepted and plan showed; the request models pass such additions through.
    """
    return {
        name: value
        for name in type(section).model_fields
        if name not in skip and (value := getattr(section, name)) is not None
    }


def _with_images(detail: str | None, uses: list[Any]) -> str | None:
    uploaded = [use.field for use in uses if use.uploaded]
    reused = [use.field for use in uses if not use.uploaded]
    images = []
    if uploaded:
        images.append("uploaded " + ", ".join(uploaded))
    if reused:
        images.append("reused the earlier upload of " + ", ".join(reused))
    return f"{detail}; {'; '.join(images)}" if images else detail
