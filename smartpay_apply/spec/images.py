"""Checks of local ID-card image files (`account.id_card_front` / `id_card_back`).

apply uploads them through Baidu's image service, which takes bmp, jpeg, jpg and png of at most
5 MB (type 2, qualification images). Checking here turns an upload refusal in the middle of an
apply (errno 47000 / 47003) into a validate error at the line that names the file.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from smartpay_apply.spec.models import AppSpec
from smartpay_apply.yamldoc.problems import Problem
from smartpay_apply.yamldoc.tree import MapNode

IMAGE_FIELDS = ("id_card_front", "id_card_back")
IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png")
MAX_IMAGE_BYTES = 5 * 1024 * 1024
_MAGIC = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".bmp": (b"BM",),
}


def uses_local_images(spec: AppSpec) -> list[str]:
    """The account fields of `spec` that name local image files (apply uploads them)."""
    if spec.account is None:
        return []
    return [name for name in IMAGE_FIELDS if getattr(spec.account, name)]


def check(
    spec: AppSpec, tree: MapNode, cache: MutableMapping[Path, str | None] | None = None
) -> list[Problem]:
    """A problem for each local image that is missing, too large or not an image of its kind.

    `cache` (path -> problem) checks an image shared by many specs once per run.
    """
    if spec.account is None:
        return []
    paths = {name: getattr(spec.account, name) for name in IMAGE_FIELDS}
    return _check_paths(paths, tree, cache)


def check_unvalidated(
    data: Any, tree: MapNode, cache: MutableMapping[Path, str | None] | None = None
) -> list[Problem]:
    """`check` for a spec that failed validation elsewhere: its image paths as written.

    Why: validate reports every problem at once; a typo in another field must not hide a
    missing image until the typo is fixed.
    """
    account = data.get("account") if isinstance(data, dict) else None
    if not isinstance(account, dict):
        return []
    paths = {name: account.get(name) for name in IMAGE_FIELDS if isinstance(account.get(name), str)}
    return _check_paths(paths, tree, cache)


def _check_paths(
    paths: dict[str, Any], tree: MapNode, cache: MutableMapping[Path, str | None] | None
) -> list[Problem]:
    problems: list[Problem] = []
    for name, path in paths.items():
        if path is None:
            continue
        path = Path(path)
        if cache is None:
            message = image_problem(path)
        else:
            if path not in cache:
                cache[path] = image_problem(path)
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
