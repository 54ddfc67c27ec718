"""One mini-program's view of the openapi: a method per endpoint, bound to its token.

`AppApi` holds no connection of its own; every call goes through the shared `OpenApi`, so the
concurrency cap and rate limit hold across all mini-programs of a run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING

from smartpay_apply.api import endpoints as ep
from smartpay_apply.api.errors import (
    NO_ACCOUNT_ERRNOS,
    NO_SERVICE_ERRNOS,
    BusinessError,
    ResponseError,
)
from smartpay_apply.api.models import (
    AccountAuditStatus,
    AccountCreateRequest,
    BindService,
    DeveloperConfigRequest,
    PaymentDict,
    PaymentServiceAuditStatus,
    PaymentServiceRequest,
    PaymentServiceUpdateRequest,
)
from smartpay_apply.api.paging import walk
from smartpay_apply.api.tokens import TokenSource
from smartpay_apply.errors import UsageError

if TYPE_CHECKING:
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.api.pages import (
        ExpenseItem,
        ExpensePage,
        FinanceBalanceDay,
        FinanceBalancePage,
        IncomeDetailItem,
        IncomeDetailPage,
        Order,
        OrderPage,
        OtherDetailItem,
        OtherDetailPage,
        PayDetail,
    )

#: Image upload: allowed formats and the size limit per `type` (1 avatar, 2 qualification,
#: 3 name-review material), from openapi-facts.md.
IMAGE_TYPES = {"bmp": "image/bmp", "jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png"}
IMAGE_LIMITS = {1: 2 * 1024 * 1024, 2: 5 * 1024 * 1024, 3: 5 * 1024 * 1024}


def _day(value: date) -> str:
    return value.isoformat()


class AppApi:
    """The payment-service endpoints of one mini-program (see docs/api-client.md)."""

    def __init__(self, api: OpenApi, tokens: TokenSource) -> None:
        self.api = api
        self.tokens = tokens

    def __repr__(self) -> str:
        return f"AppApi({self.tokens!r})"

    # ------------------------------------------------------------ setup

    async def get_dict(self) -> PaymentDict:
        """The data dictionary (provinces/cities, banks, commission rates, payment days)."""
        data = await self.api.call(ep.DICT, self.tokens)
        return self.api.parse(ep.DICT, PaymentDict, data)

    async def create_account(self, req: AccountCreateRequest) -> None:
        """Create the payment account (audited). AlreadyExistsError (60012): confirm by reading
        the account audit status."""
        await self.api.call(ep.ACCOUNT_CREATE, self.tokens, form=req.to_form())

    async def get_account_audit_status(self) -> AccountAuditStatus:
        """The account's audit status (0-5) and Baidu's message; status None: no account yet.

        "No account" comes as nulls (the public doc's sample) or as one of NO_ACCOUNT_ERRNOS:
        both are an answer, not a failure, so both read as status None here.
        """
        try:
            data = await self.api.call(ep.ACCOUNT_AUDIT, self.tokens)
        except BusinessError as error:
            if error.errno in NO_ACCOUNT_ERRNOS:
                return AccountAuditStatus()
            raise
        return self.api.parse(ep.ACCOUNT_AUDIT, AccountAuditStatus, data)

    async def submit_developer_config(self, req: DeveloperConfigRequest) -> None:
        """Submit the developer config (audited)."""
        await self.api.call(ep.DEVELOPER_CONFIG, self.tokens, form=req.to_form())

    async def create_payment_service(self, req: PaymentServiceRequest) -> None:
        """Create and bind the payment service (audited). AlreadyExistsError (60009): confirm
        with get_bind_service."""
        await self.api.call(ep.SERVICE_CREATE, self.tokens, form=req.to_form())

    async def get_payment_service_audit_status(self) -> PaymentServiceAuditStatus:
        """The payment service's audit status (0-3) and fail reason; status None: no service."""
        try:
            data = await self.api.call(ep.SERVICE_AUDIT, self.tokens)
        except BusinessError as error:
            if error.errno in NO_SERVICE_ERRNOS:
                return PaymentServiceAuditStatus()
            raise
        return self.api.parse(ep.SERVICE_AUDIT, PaymentServiceAuditStatus, data)

    async def update_payment_service(self, req: PaymentServiceUpdateRequest) -> None:
        """Change app_name, service_phone, pool_cash_pledge (no audit)."""
        await self.api.call(ep.SERVICE_UPDATE, self.tokens, form=req.to_form())

    async def update_bind_service(self, req: PaymentServiceRequest) -> None:
        """Replace every payment-service field (audited)."""
        await self.api.call(ep.SERVICE_UPDATE_BIND, self.tokens, form=req.to_form())

    async def get_bind_service(self) -> BindService | None:
        """The bound payment service as Baidu has it; None when there is none.

        Which answer a mini-program without a service gets is not documented: one of
        NO_SERVICE_ERRNOS, or success with `data` null, `{}` or without `pm_app_id`. Every one
        of them is "no service" here, so no caller mistakes an empty answer for a service
        whose fields are all None (and plans updates instead of a create).
        """
        try:
            data = await self.api.call(ep.SERVICE_GET_BIND, self.tokens)
        except BusinessError as error:
            if error.errno in NO_SERVICE_ERRNOS:
                return None
            raise
        if not data:
            return None
        bound = self.api.parse(ep.SERVICE_GET_BIND, BindService, data)
        return bound if bound.pm_app_id is not None else None

    # ------------------------------------------------------------ data: one page

    async def order_list(
        self,
        *,
        status: str = "all",
        start_time: int,
        end_time: int,
        current_page: int = 1,
        page_size: int = 100,
    ) -> OrderPage:
        """One page of orders between two 10-digit unix timestamps (amounts in fen)."""
        params = {
            "status": str(status),
            "start_time": str(int(start_time)),
            "end_time": str(int(end_time)),
            "current_page": str(current_page),
            "page_size": str(page_size),
        }
        data = await self.api.call(ep.ORDER_LIST, self.tokens, params=params)
        from smartpay_apply.api.pages import OrderPage  # not imported for plan and apply

        return self.api.parse(ep.ORDER_LIST, OrderPage, data)

    async def finance_balance(
        self, *, start_date: date, end_date: date, current_page: int = 1, page_size: int = 100
    ) -> FinanceBalancePage:
        """One page of the income list per day (yuan)."""
        data = await self.api.call(
            ep.FINANCE_BALANCE,
            self.tokens,
            params=self._range(start_date, end_date, current_page, page_size),
        )
        from smartpay_apply.api.pages import FinanceBalancePage  # not imported for plan and apply

        return self.api.parse(ep.FINANCE_BALANCE, FinanceBalancePage, data)

    async def income_detail(
        self, *, day: date, current_page: int = 1, page_size: int = 100
    ) -> IncomeDetailPage:
        """One page of one day's income items (yuan)."""
        # One day: the SDKs send start_time only, the public doc lists end_time too; the same
        # day in both satisfies either reading.
        params = {
            "start_time": _day(day),
            "end_time": _day(day),
            "current_page": str(current_page),
            "page_size": str(page_size),
        }
        data = await self.api.call(ep.INCOME_DETAIL, self.tokens, params=params)
        from smartpay_apply.api.pages import IncomeDetailPage  # not imported for plan and apply

        return self.api.parse(ep.INCOME_DETAIL, IncomeDetailPage, data)

    async def other_detail(
        self, *, start_date: date, end_date: date, current_page: int = 1, page_size: int = 100
    ) -> OtherDetailPage:
        """One page of other items: commission, rebates, marketing (yuan)."""
        data = await self.api.call(
            ep.OTHER_DETAIL,
            self.tokens,
            params=self._range(start_date, end_date, current_page, page_size),
        )
        from smartpay_apply.api.pages import OtherDetailPage  # not imported for plan and apply

        return self.api.parse(ep.OTHER_DETAIL, OtherDetailPage, data)

    async def finance_expense(
        self, *, start_date: date, end_date: date, current_page: int = 1, page_size: int = 100
    ) -> ExpensePage:
        """One page of expenses (payouts; yuan)."""
        data = await self.api.call(
            ep.FINANCE_EXPENSE,
            self.tokens,
            params=self._range(start_date, end_date, current_page, page_size),
        )
        from smartpay_apply.api.pages import ExpensePage  # not imported for plan and apply

        return self.api.parse(ep.FINANCE_EXPENSE, ExpensePage, data)

    async def pay_detail(self, task_id: int) -> PayDetail:
        """The payouts of one expense task (yuan)."""
        data = await self.api.call(ep.PAY_DETAIL, self.tokens, params={"task_id": str(task_id)})
        from smartpay_apply.api.pages import PayDetail  # not imported for plan and apply

        return self.api.parse(ep.PAY_DETAIL, PayDetail, data)

    @staticmethod
    def _range(start: date, end: date, current_page: int, page_size: int) -> dict[str, str]:
        return {
            "start_time": _day(start),
            "end_time": _day(end),
            "current_page": str(current_page),
            "page_size": str(page_size),
        }

    # ------------------------------------------------------------ data: every page

    def _max_pages(self, max_pages: int | None) -> int:
        return self.api.max_pages if max_pages is None else max_pages

    async def iter_orders(
        self,
        *,
        status: str = "all",
        start_time: int,
        end_time: int,
        page_size: int = 100,
        max_pages: int | None = None,
    ) -> AsyncIterator[Order]:
        """Every order of the range, page after page."""

        async def fetch(page: int) -> OrderPage:
            return await self.order_list(
                status=status,
                start_time=start_time,
                end_time=end_time,
                current_page=page,
                page_size=page_size,
            )

        async for row in walk(
            ep.ORDER_LIST.name,
            fetch,
            lambda p: p.data,
            page_size=page_size,
            max_pages=self._max_pages(max_pages),
        ):
            yield row

    async def iter_finance_balance(
        self,
        *,
        start_date: date,
        end_date: date,
        page_size: int = 100,
        max_pages: int | None = None,
    ) -> AsyncIterator[FinanceBalanceDay]:
        """Every income day of the range."""

        async def fetch(page: int) -> FinanceBalancePage:
            return await self.finance_balance(
                start_date=start_date, end_date=end_date, current_page=page, page_size=page_size
            )

        async for row in walk(
            ep.FINANCE_BALANCE.name,
            fetch,
            lambda p: p.data,
            page_size=page_size,
            max_pages=self._max_pages(max_pages),
        ):
            yield row

    async def iter_income_detail(
        self, *, day: date, page_size: int = 100, max_pages: int | None = None
    ) -> AsyncIterator[IncomeDetailItem]:
        """Every income item of one day."""

        async def fetch(page: int) -> IncomeDetailPage:
            return await self.income_detail(day=day, current_page=page, page_size=page_size)

        async for row in walk(
            ep.INCOME_DETAIL.name,
            fetch,
            lambda p: p.data,
            page_size=page_size,
            max_pages=self._max_pages(max_pages),
        ):
            yield row

    async def iter_other_detail(
        self,
        *,
        start_date: date,
        end_date: date,
        page_size: int = 100,
        max_pages: int | None = None,
    ) -> AsyncIterator[OtherDetailItem]:
        """Every other-item (commission...) of the range."""

        async def fetch(page: int) -> OtherDetailPage:
            return await self.other_detail(
                start_date=start_date, end_date=end_date, current_page=page, page_size=page_size
            )

        async for row in walk(
            ep.OTHER_DETAIL.name,
            fetch,
            lambda p: p.data,
            page_size=page_size,
            max_pages=self._max_pages(max_pages),
        ):
            yield row

    async def iter_finance_expense(
        self,
        *,
        start_date: date,
        end_date: date,
        page_size: int = 100,
        max_pages: int | None = None,
    ) -> AsyncIterator[ExpenseItem]:
        """Every expense of the range."""

        async def fetch(page: int) -> ExpensePage:
            return await self.finance_expense(
                start_date=start_date, end_date=end_date, current_page=page, page_size=page_size
            )

        async for row in walk(
            ep.FINANCE_EXPENSE.name,
            fetch,
            lambda p: p.data,
            page_size=page_size,
            max_pages=self._max_pages(max_pages),
        ):
            yield row


class TpApi:
    """Calls made as the third-party platform itself, with the TP's own token.

    Image upload is one: the upload doc and both SDKs pass the TP's token
    ("第三方平台的接口调用凭据"), not a mini-program's, so it lives here and not on AppApi.
    """

    def __init__(self, api: OpenApi, tokens: TokenSource) -> None:
        self.api = api
        self.tokens = tokens

    def __repr__(self) -> str:
        return f"TpApi({self.tokens!r})"

    async def upload_image(self, content: bytes, filename: str, *, image_type: int = 2) -> str:
        """Upload an image (id-card photos: type 2) and return the URL Baidu gives it."""
        suffix = PurePath(filename).suffix.lower().lstrip(".")
        if suffix not in IMAGE_TYPES:
            raise UsageError(
                f"{filename}: image format {suffix or '(none)'} is not accepted "
                f"(allowed: {', '.join(sorted(IMAGE_TYPES))})"
            )
        limit = IMAGE_LIMITS.get(image_type)
        if limit is None:
            raise UsageError(f"image type {image_type} is not one of 1, 2, 3")
        if len(content) > limit:
            raise UsageError(
                f"{filename}: {len(content)} bytes is over the {limit // (1024 * 1024)} MB "
                f"limit of image type {image_type}"
            )
        files = {"multipartFile": (PurePath(filename).name, content, IMAGE_TYPES[suffix])}
        data = await self.api.call(
            ep.UPLOAD_IMAGE, self.tokens, form={"type": str(image_type)}, files=files
        )
        if not isinstance(data, str) or not data:
            raise ResponseError(ep.UPLOAD_IMAGE.name, None, "answer carries no image URL")
        return data
