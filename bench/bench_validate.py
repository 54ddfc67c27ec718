"""Validate 2,000 generated spec files and print how long it takes (target: under 2 s).

Usage: .venv/bin/python bench/bench_validate.py [--specs 2000] [--keep DIR]

Generates a project in a temporary directory (smartpay.yaml with defaults, one RSA key, two
ID-card images, N full specs with all three sections and `${env:...:-...}` references), then:
1. `validate` in a subprocess, as a user or CI runs it (wall time, includes interpreter start);
2. the same validation in-process (wall and CPU time), with a dictionary cache present;
3. for comparison, parsing the same files with ruamel's round-trip loader alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

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
  id_card_front: ../images/id-front.png
  id_card_back: ../images/id-back.png
developer_config:
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
endpoint: sandbox
defaults:
  developer_config:
    tp_public_key: ${file:keys/tp_public.pem}
    pay_notify_url: https://pay.example.com/notify
    refund_audit_url: https://pay.example.com/refund-audit
    refund_succ_url: https://pay.example.com/refund-done
"""


def _png() -> bytes:
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


def generate(root: Path, count: int) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from smartpay_apply.spec.dictionary import DictCache, PaymentDictData
    from smartpay_apply.spec.rules import id_check_digit

    (root / "specs" / "shops").mkdir(parents=True)
    (root / "specs" / "images").mkdir()
    (root / "keys").mkdir()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (root / "keys" / "tp_public.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (root / "specs" / "images" / "id-front.png").write_bytes(_png())
    (root / "specs" / "images" / "id-back.png").write_bytes(_png())
    (root / "smartpay.yaml").write_text(CONFIG, encoding="utf-8")
    for n in range(count):
        first17 = f"110108{1960 + n % 40}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
        text = SPEC.format(n=n, app_id=30000000 + n, legal_id=first17 + id_check_digit(first17))
        (root / "specs" / "shops" / f"shop-{n:05d}.yaml").write_text(text, encoding="utf-8")
    DictCache(root / ".smartpay" / "dict.json").save(
        PaymentDictData(
            provinces={"北京市": ["海淀区", "朝阳区"]},
            banks=["招商银行", "工商银行"],
            commission_rates={6: "千分之六"},
            payment_days={1: "T+1", 7: "T+7", 14: "T+14", 28: "T+28"},
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-validate-"))
    generate(root, args.specs)
    print(f"{args.specs} spec files in {root}")

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "smartpay_apply", "validate"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    print(
        f"CLI `smartpay-apply validate`: {wall:.2f} s wall, {child_cpu:.2f} s CPU "
        f"(exit {result.returncode}: {result.stdout.strip() or result.stderr.strip()[:200]})"
    )

    from smartpay_apply.config import load_project_config
    from smartpay_apply.project import validate_project

    os.chdir(root)
    start, cpu = time.perf_counter(), time.process_time()
    config = load_project_config(root, None)
    report = validate_project(config)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not report.problems, report.problems[:3]
    print(
        f"in-process validate (load + rules + dictionary): {wall:.2f} s wall, {cpu:.2f} s CPU, "
        f"{wall / args.specs * 1000:.2f} ms per spec"
    )

    from ruamel.yaml import YAML

    files = sorted((root / "specs").rglob("*.yaml"))
    texts = [path.read_text(encoding="utf-8") for path in files]
    start, cpu = time.perf_counter(), time.process_time()
    safe = YAML(typ="safe")
    for text in texts:
        list(safe.load_all(text))
    print(
        f"calibration, YAML(typ='safe') C loader alone (no positions): {time.perf_counter() - start:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU (shared/notes/yaml-cost.md: 1.0 s on a quiet machine)"
    )
    sample = texts[:200]
    start, cpu = time.perf_counter(), time.process_time()
    for text in sample:
        YAML(typ="rt").load(text)
    scale = len(texts) / len(sample)
    print(
        f"for comparison, YAML(typ='rt') round-trip parsing alone: {(time.perf_counter() - start) * scale:.2f} s wall, "
        f"{(time.process_time() - cpu) * scale:.2f} s CPU (extrapolated from {len(sample)} files)"
    )
    load = os.getloadavg()[0]
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} CPUs")
    if args.keep is None:
        os.chdir(tempfile.gettempdir())
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
