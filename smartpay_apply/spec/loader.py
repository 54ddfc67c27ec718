"""Load spec files into `AppSpec`s, each knowing where its fields were written.

The steps for each YAML document: merge the project's `defaults:` under it (the spec's own
values win, section by section), resolve `${env:}`/`${file:}` references, turn local image
paths into absolute ones, validate with the models, and check local image files. Problems are
collected across all files (plus duplicate `app`/`app_id`) and raised together as one
`SpecError`, so a user sees every mistake in one run.

The loader knows nothing of smartpay.yaml: what it needs of the project (the root, the spec
patterns, the `defaults:` tree) comes as a `SpecSettings`, which `smartpay_apply.project`
builds from the `ProjectConfig` (so `config`, which holds spec-shaped defaults, may import
`spec`, and `spec` never imports `config`).
"""

from __future__ import annotations

import dataclasses
import glob
import os
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from smartpay_apply.spec import images
from smartpay_apply.spec.errors import SpecError
from smartpay_apply.spec.identity import Identity, duplicate_problems, identity_of, plain_identity
from smartpay_apply.spec.merge import merge_plain, merge_trees, tree_from_plain
from smartpay_apply.spec.models import PROJECT_ONLY_FIELDS, AppSpec, SpecSource
from smartpay_apply.spec.positions import LaterPositions
from smartpay_apply.yamldoc.convert import (
    field_positions,
    model_input,
    plain_input,
    plain_tree,
    problems_from,
)
from smartpay_apply.yamldoc.problems import Location, Problem
from smartpay_apply.yamldoc.read import parse, read_text
from smartpay_apply.yamldoc.refs import RefError, has_reference, resolve
from smartpay_apply.yamldoc.simple import read_simple
from smartpay_apply.yamldoc.tree import Entry, MapNode, ReadResult, Scalar, SeqNode, Tree

SPEC_SUFFIXES = (".yaml", ".yml")
#: Where specs are when smartpay.yaml does not say (`specs:`).
DEFAULT_PATTERNS = ("specs/**/*.yaml",)


@dataclass(frozen=True)
class SpecSettings:
    """What the loader needs of the project: where the specs are, and the defaults merged
    under each of them (smartpay.yaml's `specs:` and `defaults:`)."""

    #: The project's directory: spec patterns and the defaults' references start here.
    root: Path
    #: smartpay.yaml (where plain defaults are said to come from).
    config_path: Path
    patterns: Sequence[str] = DEFAULT_PATTERNS
    #: `defaults:` as written, with positions (None: none, or given as plain data below).
    defaults_tree: MapNode | None = None
    #: `defaults:` as plain data, for settings built in code (no positions to keep).
    defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartialPayment:
    """The `payment_service:` of a spec that has problems, as written (merged and resolved).

    Why: validate reports every problem at once; a wrong `commission_rate` must not hide an
    unknown bank until it is fixed. The dictionary checks run on these values too, except on
    fields that already have a problem (one problem per root cause).
    """

    values: dict[str, Any]
    positions: dict[str, Location]
    bad_fields: frozenset[str]
    display: Path


@dataclass
class LoadReport:
    """What loading found: the valid specs, every problem, and warnings (nothing fatal)."""

    specs: list[AppSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Warnings at a position (file:line:col, field); like `warnings`, never a failure.
    located_warnings: list[Problem] = field(default_factory=list)
    files: int = 0
    #: The payment services of specs with problems (for the dictionary checks).
    partial: list[PartialPayment] = field(default_factory=list)


def load_specs(settings: SpecSettings, paths: Sequence[Path] | None = None) -> list[AppSpec]:
    """Every spec matched by the settings' patterns (or in `paths`), sorted by app; SpecError
    if any is wrong."""
    report = load_report(settings, paths)
    if report.problems:
        raise SpecError(report.problems)
    return report.specs


def load_report(
    settings: SpecSettings,
    paths: Sequence[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    *,
    split: bool = False,
) -> LoadReport:
    """Like load_specs, but returns problems and warnings instead of raising.

    `split`: read the second half of the files in a forked child (`forking.in_two`) when that
    pays; the report is the same. For commands that only read (validate): the whole report
    comes at the end.
    """
    if not split:
        loading = iter_load(settings, paths, environ, cwd)
        while True:
            try:
                next(loading)
            except StopIteration as done:
                report: LoadReport = done.value
                return report
    from smartpay_apply import forking

    here, env, report, files = _begin(settings, paths, environ, cwd)

    def load(some: Sequence[Path]) -> tuple[LoadReport, list[Identity]]:
        loader = _Loader(settings, env, here)
        part = LoadReport()
        for _ in _read(loader, some, part):
            pass
        return part, loader.identities  # picklable: it may come from a forked child

    identities: list[Identity] = []
    if forking.can_split(len(files), SPLIT_MIN_FILES):
        # Built once here, inherited by the child (the models build it on first use otherwise,
        # then in both processes: ~30 ms more on the child's half).
        AppSpec.model_rebuild()
    parts = forking.in_two(files, load, min_items=SPLIT_MIN_FILES, child_share=SPLIT_CHILD_SHARE)
    for part, found in parts:
        report.specs.extend(part.specs)
        report.problems.extend(part.problems)
        report.warnings.extend(part.warnings)
        report.partial.extend(part.partial)
        identities.extend(found)
    return _finish(report, identities)


def iter_load(
    settings: SpecSettings,
    paths: Sequence[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Generator[AppSpec, None, LoadReport]:
    """`load_report` that hands out each valid spec as soon as its file is read; the report
    (every spec sorted, every problem) is the generator's return value.

    Why: `plan` starts observing a mini-program while the other files are still being read
    (reads are harmless; a problem found later still fails the command before it prints).
    """
    here, env, report, files = _begin(settings, paths, environ, cwd)
    loader = _Loader(settings, env, here)
    yield from _read(loader, files, report)
    return _finish(report, loader.identities)


#: Fewer files than this are read in one process (forking would save too little).
SPLIT_MIN_FILES = 200
#: The child's share of the files, a little under half: its specs come back pickled, and
#: unpickling them here (~0.07 ms a spec, after this process's own part) costs about a fifth
#: of reading them (2,000 specs: own part 0.3-0.4 s, the child's 0.07-0.11 s to unpickle).
SPLIT_CHILD_SHARE = 0.45


def _begin(
    settings: SpecSettings,
    paths: Sequence[Path] | None,
    environ: Mapping[str, str] | None,
    cwd: Path | None,
) -> tuple[Path, Mapping[str, str], LoadReport, list[Path]]:
    """The directory, environment, a report holding the files' warnings, and the files."""
    here = (cwd or Path.cwd()).resolve()
    env = os.environ if environ is None else environ
    report = LoadReport()
    files = _spec_files(settings, paths, here, report)
    report.files = len(files)
    return here, env, report, files


def _read(loader: _Loader, files: Sequence[Path], report: LoadReport) -> Iterator[AppSpec]:
    """Read `files` into `report`, handing out each valid spec as soon as its file is read."""
    for path in files:
        specs, problems, warnings = loader.load_file(path)
        report.specs.extend(specs)
        report.problems.extend(problems)
        report.warnings.extend(warnings)
        yield from specs
    report.partial.extend(loader.partial)


def _finish(report: LoadReport, identities: list[Identity]) -> LoadReport:
    """Duplicates across every file, specs sorted by app, problems sorted and unique."""
    report.problems.extend(duplicate_problems(identities))
    report.specs.sort(key=lambda spec: spec.app)
    report.problems = sorted(set(report.problems))
    return report


def load_spec_file(
    path: Path, defaults: Mapping[str, Any] | None = None, settings: SpecSettings | None = None
) -> list[AppSpec]:
    """The specs of one file, with plain `defaults` merged under them; SpecError if wrong."""
    if settings is None:
        root = path.parent.resolve()
        settings = SpecSettings(root=root, config_path=root / "smartpay.yaml")
    if defaults is not None:
        settings = dataclasses.replace(settings, defaults=dict(defaults))
    specs, problems, _ = _Loader(settings, os.environ, Path.cwd().resolve()).load_file(path)
    if problems:
        raise SpecError(problems)
    return specs


def display_path(path: Path, cwd: Path) -> Path:
    """`path` relative to `cwd` when inside it (short, clickable), else absolute."""
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.relative_to(cwd)
    except ValueError:
        return absolute


def _spec_files(
    settings: SpecSettings, paths: Sequence[Path] | None, cwd: Path, report: LoadReport
) -> list[Path]:
    """The files to load: the given files and directories, or the config's glob patterns."""
    found: dict[Path, None] = {}
    if paths:
        for given in paths:
            absolute = given if given.is_absolute() else cwd / given
            if absolute.is_dir():
                matches = sorted(
                    p for p in absolute.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()
                )
                if not matches:
                    report.warnings.append(
                        f"{display_path(absolute, cwd)}: no .yaml files in this directory"
                    )
                found.update(dict.fromkeys(matches))
            else:
                found[absolute] = None  # a missing file is reported when read
        return list(found)
    for pattern in settings.patterns:
        names = sorted(glob.glob(pattern, root_dir=settings.root, recursive=True))
        if not names:
            report.warnings.append(f"no spec files match {pattern!r} in {settings.root}")
        for name in names:
            found[settings.root / name] = None
    return list(found)


class _Loader:
    """Loads spec files against one project's settings."""

    def __init__(self, settings: SpecSettings, environ: Mapping[str, str], cwd: Path) -> None:
        self.root = settings.root
        self.environ = environ
        self.cwd = cwd
        shown = display_path(settings.config_path, cwd)
        self.defaults = settings.defaults_tree or tree_from_plain(
            settings.defaults, Location(shown, 1, 1)
        )
        #: display path -> directory that relative references in that file start from
        self.base_dirs: dict[Path, Path] = {shown: settings.root}
        #: every document's app/app_id, valid or not, for the duplicate check
        self.identities: list[Identity] = []
        #: files read through ${file:...} and image checks, once per run (shared by many specs)
        self.file_cache: dict[str, str] = {}
        self.image_cache: dict[Path, str | None] = {}
        #: payment services of documents with problems, for the dictionary checks
        self.partial: list[PartialPayment] = []
        #: `defaults:` resolved as plain data, for specs read without positions
        self._defaults_plain: Any = _UNSET

    def load_file(self, path: Path) -> tuple[list[AppSpec], list[Problem], list[str]]:
        display = display_path(path, self.cwd)
        self.base_dirs[display] = path.parent
        text, problem = read_text(path, display)
        if problem is not None or text is None:
            return [], [problem] if problem else [], []
        spec = self._load_fast(text, path, display)
        if spec is not None:
            return [spec], [], []
        return self._load_read(parse(text, display), display)

    def _load_read(
        self, result: ReadResult, display: Path
    ) -> tuple[list[AppSpec], list[Problem], list[str]]:
        """The specs of a file read with positions (every problem located)."""
        if result.problems:
            return [], result.problems, []
        specs: list[AppSpec] = []
        problems: list[Problem] = []
        documents = [doc for doc in result.documents if doc is not None]
        if not documents:
            return [], [], [f"{display}: holds no spec (empty file)"]
        for document in documents:
            spec, found = self.load_document(document, display)
            problems.extend(found)
            if spec is not None:
                specs.append(spec)
        return specs, problems, []

    # ------------------------------------------------------------ without positions

    def _load_fast(self, text: str, path: Path, display: Path) -> AppSpec | None:
        """The spec of a plain, valid file, read without positions; None for anything else
        (not in yamldoc/simple.py's subset, or any problem at all), which is then read with
        positions so that every message is located. Positions are found if ever needed.

        Same result as `load_document`: the defaults are resolved once, relative to
        smartpay.yaml, and merged under the spec's own values resolved relative to its file.
        """
        defaults = self._plain_defaults()
        if defaults is None:
            return None
        doc = read_simple(text)
        if doc is None:
            return None
        identity = plain_identity(doc, display)  # as written, before references resolve
        own = self._resolve_plain(doc.data, path.parent)
        if own is None:
            return None
        merged = merge_plain(defaults, own)
        data = plain_input(merged, AppSpec)
        self._absolute_images_plain(data, own, path.parent)
        try:
            spec = AppSpec.model_validate(data)
        except ValidationError:
            return None
        if not self._images_fine(spec):
            return None
        self.identities.append(identity)
        return spec.with_source(SpecSource(compute=LaterPositions(self.defaults, text, display)))

    def _plain_defaults(self) -> dict[str, Any] | None:
        """`defaults:` resolved, as plain data (None: a reference failed; read with positions,
        which reports it only where a spec does not override the field)."""
        if self._defaults_plain is _UNSET:
            problems: list[Problem] = []
            resolved = (
                self._resolve(self.defaults, (), problems, set())
                if self.defaults is not None
                else None
            )
            self._defaults_plain = None if problems else (plain_tree(resolved) or {})
        return self._defaults_plain

    def _resolve_plain(self, data: dict[str, Any], base: Path) -> dict[str, Any] | None:
        """`data` with its references resolved in place, relative to `base` (None: one failed)."""
        for key, value in data.items():
            if isinstance(value, dict):
                if self._resolve_plain(value, base) is None:
                    return None
            elif isinstance(value, str) and has_reference(value):
                try:
                    data[key] = resolve(value, base, self.environ, self.file_cache)
                except RefError:
                    return None
        return data

    def _absolute_images_plain(self, data: Any, own: dict[str, Any], base: Path) -> None:
        """`_absolute_images` for plain data: relative to the spec's file when it names the
        image itself, else to the project (the image came from `defaults:`)."""
        account = data.get("account") if isinstance(data, dict) else None
        if not isinstance(account, dict):
            return
        written = own.get("account")
        for name in images.IMAGE_FIELDS:
            value = account.get(name)
            if isinstance(value, str) and value.strip():
                start = base if isinstance(written, dict) and name in written else self.root
                account[name] = os.path.abspath(os.path.join(str(start), value.strip()))

    def _images_fine(self, spec: AppSpec) -> bool:
        """Whether every local image of `spec` passes images.check (cached per image)."""
        if spec.account is None:
            return True
        for name in images.IMAGE_FIELDS:
            image = getattr(spec.account, name)
            if image is None:
                continue
            if image not in self.image_cache:
                self.image_cache[image] = images.image_problem(image)
            if self.image_cache[image] is not None:
                return False
        return True

    # ------------------------------------------------------------ with positions

    def load_document(self, document: Tree, display: Path) -> tuple[AppSpec | None, list[Problem]]:
        if not isinstance(document, MapNode):
            message = "a spec must be a mapping with app:, app_id: and the sections to manage"
            return None, [Problem.at(document.loc, display, "", message)]
        problems: list[Problem] = []
        self.identities.append(identity_of(document))
        merged = merge_trees(self.defaults, document) if self.defaults is not None else document
        unresolved: set[str] = set()
        tree = self._resolve(merged, (), problems, unresolved)
        assert isinstance(tree, MapNode)
        data = model_input(tree, AppSpec)
        self._absolute_images(tree, data)
        try:
            spec = AppSpec.model_validate(data)
        except ValidationError as error:
            found = problems_from(error, tree, AppSpec, display, misplaced=PROJECT_ONLY_FIELDS)
            # A reference that failed is its field's one problem: the reference text left in
            # its place is not also "not a whole number".
            problems.extend(p for p in found if p.field not in unresolved)
            problems.extend(images.check_unvalidated(data, tree, self.image_cache))
            return self._failed(data, tree, display, problems)
        problems.extend(images.check(spec, tree, self.image_cache))
        if problems:
            return self._failed(data, tree, display, problems)
        return spec.with_source(SpecSource(document.loc, field_positions(tree))), []

    def _failed(
        self, data: Any, tree: MapNode, display: Path, problems: list[Problem]
    ) -> tuple[None, list[Problem]]:
        """No spec; keep what the dictionary checks need of its payment service."""
        payment = data.get("payment_service") if isinstance(data, dict) else None
        entry = tree.entries.get("payment_service")
        if isinstance(payment, dict) and entry is not None:
            self.partial.append(
                PartialPayment(
                    values=payment,
                    positions=field_positions(entry.value),
                    bad_fields=frozenset(p.field for p in problems),
                    display=display,
                )
            )
        return None, problems

    def _resolve(
        self, tree: Tree, parts: tuple[str, ...], problems: list[Problem], unresolved: set[str]
    ) -> Tree:
        """References resolved, each relative to the file that wrote it; the field path of
        each one that failed goes into `unresolved`."""
        if isinstance(tree, Scalar):
            if not (isinstance(tree.value, str) and has_reference(tree.value)):
                return tree
            base = self.base_dirs.get(tree.loc.path, self.root)
            try:
                text = resolve(tree.value, base, self.environ, self.file_cache)
            except RefError as error:
                field_path = ".".join(parts)
                problems.append(Problem.at(tree.loc, tree.loc.path, field_path, str(error)))
                unresolved.add(field_path)
                return tree
            return Scalar(text, text, False, tree.loc)
        if isinstance(tree, SeqNode):
            items = [self._resolve(item, parts, problems, unresolved) for item in tree.items]
            changed = any(new is not old for new, old in zip(items, tree.items, strict=True))
            return SeqNode(items, tree.loc) if changed else tree
        entries = tree.entries
        replaced: dict[str, Entry] | None = None
        for key, entry in entries.items():
            value = self._resolve(entry.value, (*parts, key), problems, unresolved)
            if value is not entry.value:
                if replaced is None:
                    replaced = dict(entries)
                replaced[key] = Entry(entry.key_loc, value)
        return tree if replaced is None else MapNode(replaced, tree.loc)

    def _absolute_images(self, tree: MapNode, data: Any) -> None:
        """Local image paths relative to the file that named them become absolute."""
        account = data.get("account") if isinstance(data, dict) else None
        entry = tree.entries.get("account")
        if not isinstance(account, dict) or entry is None or not isinstance(entry.value, MapNode):
            return
        for name in images.IMAGE_FIELDS:
            value = account.get(name)
            image = entry.value.entries.get(name)
            if isinstance(value, str) and value.strip() and image is not None:
                base = self.base_dirs.get(image.value.loc.path, self.root)
                account[name] = os.path.abspath(os.path.join(str(base), value.strip()))


_UNSET: Any = object()
