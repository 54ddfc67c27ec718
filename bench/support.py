"""What the benchmarks share: a sandbox in its own process, timed CLI runs, generated projects.

Why its own module: the benchmarks used to import the tests' scaffolding (tests.apply.project,
tests.data.conftest); a change to a test helper then silently changed what a figure measured.
This module imports only the package itself (and only in the child processes it starts, except
the spec rules used to generate valid ID numbers).

- `Sandbox`: the sandbox served by uvicorn in a *separate* process (never in the benchmark's
  own: its interpreter lock would distort the client), with its CPU read from /proc.
- `run_cli`: one `smartpay-apply ...` process, timed from the moment it is spawned, with its
  CPU time and peak memory from `os.wait4`.
- `write_project` / `spec_text`: a project of full spec files as a user writes them.
- `bare_gets`: a bare client in a child process, the floor a machine allows right now.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PAY = "/rest/2.0/smartapp/pay"
UPLOAD = "/file/2.0/smartapp/upload/image"
#: The sandbox's TP token (image uploads take the TP's own token).
TP_TOKEN = "sandbox-tp"
#: The console script next to this interpreter: what a user runs.
CLI = str(Path(sys.executable).with_name("smartpay-apply"))

_SERVER = """
import json, sys
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import running_server
config = SandboxConfig().with_overrides(**json.loads(sys.argv[1]))
with running_server(config) as url:
    print(url, flush=True)
    sys.stdin.read()
"""


def child_env() -> dict[str, str]:
    """The environment of every child: no colour, and bytecode written and reused as an
    installed package has it (this machine's PYTHONDONTWRITEBYTECODE=1 would make every run
    compile every module it imports)."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sandbox:
    """The sandbox in a child process (uvicorn on httptools/uvloop, world in memory)."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("call_log_limit", 1_000_000)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url:
            self.close()
            raise RuntimeError("the sandbox did not start")
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def cpu(self) -> float:
        return proc_cpu(self.process.pid)

    def latency(self, ms: float) -> None:
        self.http.put("/_sandbox/faults", json={"latency_ms": ms}).raise_for_status()

    def forget_calls(self) -> None:
        self.http.delete("/_sandbox/calls").raise_for_status()

    def calls(self) -> list[dict[str, Any]]:
        return list(self.http.get("/_sandbox/calls").json()["calls"])

    def upload(self, content: bytes) -> str:
        """An image uploaded with the TP's token: its URL (what a spec may name)."""
        answer = self.http.post(
            UPLOAD,
            params={"access_token": TP_TOKEN},
            files={"multipartFile": ("id.png", content, "image/png")},
            data={"type": "2"},
        ).json()
        assert answer["errno"] == 0, answer
        return str(answer["data"])

    def onboard(self, app_id: int, public_key: str) -> None:
        """Account, developer config and payment service of `app_id`, each approved (the
        sandbox's policy approves at once: audit_delay 0)."""
        front, back = self.upload(tiny_png() + b"front"), self.upload(tiny_png() + b"back")
        token = {"access_token": f"sandbox-{app_id}"}
        forms = [
            (
                "account/create",
                {**ACCOUNT_FORM, "id_card_front_url": front, "id_card_back_url": back},
            ),
            ("developconfig/submit", {**DEVELOPER, "tp_public_key": public_key}),
            ("paymentservice/create", PAYMENT_FORM),
        ]
        for path, form in forms:
            answer = self.http.post(f"{PAY}/{path}", params=token, data=form).json()
            assert answer["errno"] == 0, (path, answer)
            self.http.get(f"{PAY}/account/auditstatus", params=token)  # decides due audits

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.http.close()
        if self.process.stdin:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class CliRun:
    """One CLI process: wall from its spawn to its exit, its own CPU and peak memory."""

    args: tuple[str, ...]
    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    args: Sequence[str], cwd: Path, *, ok: Sequence[int] = (0,), env: dict[str, str] | None = None
) -> CliRun:
    """Run `smartpay-apply ARGS` in `cwd`; exits the benchmark if its exit code is not `ok`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [CLI, *args], cwd=cwd, stdout=out, stderr=err, env=env or child_env()
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's rusage, nobody else's
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode not in ok:
        sys.exit(f"smartpay-apply {' '.join(args)} exited {child.returncode}:\n{stderr[-3000:]}")
    return CliRun(
        tuple(args),
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        child.returncode,
        stdout,
        stderr,
    )


def bare_python(runs: int = 5) -> float:
    """Median wall of `python -c pass` (site imports included): the floor of any CLI start."""
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=child_env())
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


# ---------------------------------------------------------------- projects


def tiny_png() -> bytes:
    """A valid 1x1 PNG (the spec loader reads local images; the sandbox checks the signature)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def public_key_pem() -> str:
    """A fresh RSA public key in PEM (the TP's key in the developer config)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


ACCOUNT_FORM = {
    "business_scope": "计算机软件开发;技术服务",
    "business_province": "北京市",
    "business_city": "海淀区",
    "business_detail_address": "上地十街10号",
    "legal_person": "张三",
    "legal_id": "11010519491231002X",
}
DEVELOPER = {
    "pay_notify_url": "https://tp.example.com/pay/notify",
    "refund_audit_url": "https://tp.example.com/pay/refund-audit",
    "refund_succ_url": "https://tp.example.com/pay/refund-done",
}
PAYMENT_FORM = {
    "app_name": "测试",
    "service_phone": "13514310000",
    "bank_account": "北京百度网讯科技有限公司",
    "bank_card": "6217000010001234",
    "bank_name": "招商银行",
    "bank_branch": "招商银行股份有限公司北京双榆树支行",
    "open_province": "北京市",
    "open_city": "海淀区",
    "payment_days": "1",
    "commission_rate": "6",
    "pool_cash_pledge": "1",
    "day_max_frozen_amount": "10000",
}

#: One full spec as a user writes it: all three sections, `${env:...:-...}` references, the
#: developer config from `defaults:` in smartpay.yaml. {images} is two `id_card_*` lines.
SPEC = """\
app: shop-{n:05d}
app_id: {app_id}
credentials:
  access_token: ${{env:SHOP_{n:05d}_TOKEN:-sandbox-{app_id}}}
account:
  business_scope: 日用百货、文具用品、电子产品的零售与网上销售 {n}
  business_province: 北京市
  business_city: 北京市
  business_detail_address: 海淀区上地十街{n}号
  legal_person: 王小明
  legal_id: ${{env:SHOP_{n:05d}_LEGAL_ID:-{legal_id}}}
{images}developer_config:
  refund_audit_url: https://shop-{n:05d}.example.com/refund-audit
payment_service:
  app_name: 北京百货小店{n}
  service_phone: "010-62881234"
  bank_account: 北京百货小店商贸有限公司
  bank_card: "62148301{n:08d}"
  bank_name: 招商银行
  bank_branch: 招商银行北京上地支行
  open_province: 北京市
  open_city: 海淀区
  payment_days: 7
  commission_rate: 6
  pool_cash_pledge: 500
  day_max_frozen_amount: 5000
"""

CONFIG = """\
version: 1
endpoint: {endpoint}
state: .smartpay/state.db
specs: ["specs/**/*.yaml"]
concurrency: {concurrency}
credentials:
  tp_access_token: {tp_token}
defaults:
  developer_config:
    tp_public_key: ${{file:keys/tp_public.pem}}
    pay_notify_url: https://pay.example.com/notify
    refund_audit_url: https://pay.example.com/refund-audit
    refund_succ_url: https://pay.example.com/refund-done
"""


def legal_id(n: int) -> str:
    """A valid 18-digit resident ID number (check digit included), different per n."""
    from smartpay_apply.spec.rules import id_check_digit

    first17 = f"110108{1960 + n % 40}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def spec_text(
    n: int, app_id: int, *, image_urls: tuple[str, str] | None = None, own_images: bool = False
) -> str:
    """Spec file number `n`: local ID-card images (shared, or its own), or uploaded URLs."""
    if image_urls is None:
        stem = f"shop-{n:05d}-id" if own_images else "id"
        images = f"  id_card_front: ../images/{stem}-front.png\n  id_card_back: ../images/{stem}-back.png\n"
    else:
        images = f"  id_card_front_url: {image_urls[0]}\n  id_card_back_url: {image_urls[1]}\n"
    return SPEC.format(n=n, app_id=app_id, legal_id=legal_id(n), images=images)


def write_project(
    root: Path,
    endpoint: str,
    app_ids: Sequence[int],
    *,
    concurrency: int = 32,
    image_urls: tuple[str, str] | None = None,
    public_key: str | None = None,
    own_images: bool = False,
) -> Path:
    """smartpay.yaml (defaults, TP token) and one spec per app_id under specs/shops/.

    `image_urls`: the specs name these uploaded images; else local images, which apply uploads:
    two shared by every spec (uploaded once: the image cache), or with `own_images` two per spec.
    """
    (root / "specs" / "shops").mkdir(parents=True, exist_ok=True)
    (root / "specs" / "images").mkdir(exist_ok=True)
    (root / "keys").mkdir(exist_ok=True)
    (root / "keys" / "tp_public.pem").write_text(public_key or public_key_pem())
    (root / "specs" / "images" / "id-front.png").write_bytes(tiny_png())
    (root / "specs" / "images" / "id-back.png").write_bytes(tiny_png())
    (root / "smartpay.yaml").write_text(
        CONFIG.format(endpoint=endpoint, concurrency=concurrency, tp_token=TP_TOKEN),
        encoding="utf-8",
    )
    for n, app_id in enumerate(app_ids):
        if own_images:
            for side in ("front", "back"):
                image = root / "specs" / "images" / f"shop-{n:05d}-id-{side}.png"
                image.write_bytes(tiny_png() + f"{n}-{side}".encode())
        (root / "specs" / "shops" / f"shop-{n:05d}.yaml").write_text(
            spec_text(n, app_id, image_urls=image_urls, own_images=own_images), encoding="utf-8"
        )
    return root


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- the floor

_BARE = """
import asyncio, json, resource, sys, time
from smartpay_apply.api.client import OpenApi

async def main(base, count, concurrency, apps):
    async with OpenApi(base, max_concurrency=concurrency) as api:
        clients = [api.app(f"sandbox-{a}") for a in apps]
        left = list(range(count))

        async def worker(n):
            while left:
                left.pop()
                await clients[n % len(clients)].get_account_audit_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        return time.perf_counter() - started

base, count, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
apps = json.loads(sys.argv[4])
usage0 = resource.getrusage(resource.RUSAGE_SELF)
wall = asyncio.run(main(base, count, concurrency, apps))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime
                  - usage0.ru_utime - usage0.ru_stime}))
"""


def bare_gets(
    base_url: str, count: int, concurrency: int, app_ids: Sequence[int]
) -> dict[str, float]:
    """`count` account/auditstatus GETs through the real `OpenApi` in a child process, nothing
    else: what the client and the server manage on this machine right now (wall, client CPU)."""
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            _BARE,
            base_url,
            str(count),
            str(concurrency),
            json.dumps(list(app_ids)),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
    ).stdout
    return dict(json.loads(output))
