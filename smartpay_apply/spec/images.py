"""Checks of local ID-card image files (`account.id_card_front` / `id_card_back`).

apply uploads them through Baidu's image service, which takes bmp, jpeg, jpg and png of at most
5 MB (type 2, qualification images). Checking here turns an upload refusal in the middle of an
apply (errno 47000 / 47003) into a validate error at the line that names the file.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

from smartpay_apply.spec.errors import Problem
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.spec.yamlread import MapNode

IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png")
MAX_IMAGE_BYTES = 5 * 1024 * 1024
_MAGIC = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".bmp": (b"BM",),
}


def check(spec: AppSpec, tree: MapNode, cache: MutableMapping[Path, str | None] | None = None) -> list[Problem]:
    """A problem for each local image that is missing, too large or not an image of its kind.

    `cache` (path -> problem) checks an image shared by many specs once per run.
    """
    if spec.account is None:
        return []
    problems: list[Problem] = []
    for name in ("id_card_front", "id_card_back"):
        path = getattr(spec.account, name)
        if path is None:
            continue
        if cache is None:
            message = image_problem(Path(path))
        else:
            if path not in cache:
                cache[path] = image_problem(Path(path))
            message = cache[path]
        if message is not None:
            section = tree.entries["account"].value
            assert isinstance(section, MapNode)
            where = section.entries[name].value.loc
            problems.append(Problem.at(where, where.path, f"account.{name}", message))
    return problems


def image_problem(path: Path) -> str | None:
    """What is wrong with a local ID-card image, or None. The path itself is never shown."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        return "must be a .bmp, .jpeg, .jpg or .png image file (relative to this spec file)"
    try:
        if not path.is_file():
            return "image file not found (paths are relative to this spec file)"
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as error:
        return f"cannot read the image file: {error.strerror or error}"
    if size > MAX_IMAGE_BYTES:
        return f"image is larger than 5 MB ({size} bytes; allowed: at most {MAX_IMAGE_BYTES})"
    if size == 0 or not any(head.startswith(magic) for magic in _MAGIC[suffix]):
        return f"is not a {suffix[1:]} image (the file's content does not match its name)"
    return None
