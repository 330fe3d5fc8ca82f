"""Lazy, immutable querysets over the API's paginated and whole-list collections.

A `QuerySet` is a description of a request: building one (``filter``, ``order_by``,
``include_label``, ``page_size``) never touches the network and always returns a new
queryset. Evaluation follows Django's rules, adapted to HTTP (:doc:`/querysets`):

- Iteration fetches page after page until the end: a short page, an empty page, or the
  server's 404 "Invalid page." (:ref:`protocol-pagination`). It never stops silently at page one.
- While the caller works on one page, the next one is already being fetched (one page
  in flight at most), and that fetch is abandoned when iteration stops early.
- ``qs[i]`` and ``qs[a:b]`` fetch only the pages that cover them.
- ``list(qs)`` caches the results on that queryset; ``qs.iterator()`` streams.
- Lookups and orderings are checked before any request, against the collection's
  `FilterSchema`; a filter the server cannot do is refused, except on collections the
  server returns whole (labelsets, releases, issues), where filters run on the client.
"""

from __future__ import annotations

import concurrent.futures
import copy
import itertools
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Callable, Generic, Optional, TypeVar, Union, overload

import attrs

from segments_orm._concurrency import cancellable, run_bulk
from segments_orm.exceptions import MultipleObjectsReturned, NotFoundError, ValidationError

__all__ = ["FilterSchema", "Lookup", "QuerySet"]

T = TypeVar("T")

MAX_PAGE_SIZE = 1000  # the platform's own default and, as far as is known, its cap
_REPR_ITEMS = 5
_HTML_ROWS = 10  # rows of a queryset's table in a notebook

# A lookup turns the user's value into query parameters, validating it first.
Encoder = Callable[[Any], dict[str, str]]
# A client-side test, for lookups the server can only approximate (``name`` exact).
PostFilter = Callable[[Any, Any], bool]


class NothingMatchesError(Exception):
    """Raised by a merge when two filters on the same thing contradict each other."""


@attrs.frozen
class Lookup:
    """One supported filter of a collection.

    Attributes:
        encode: Turns the value into query parameters, raising `ValidationError` when
            the value is of the wrong kind.
        post_filter: Refines the server's answer on the client, for a lookup the server
            can only approximate (``name`` exact is ``name__contains`` plus this).
        merge: ANDs two values of this lookup (``filter(a).filter(b)``) into one the API
            can take, raising `NothingMatchesError` when they contradict. Without it, a second
            value is refused: the API takes one, and emulating more would be silent.
    """

    encode: Encoder
    post_filter: Optional[PostFilter] = None
    merge: Optional[Callable[[Any, Any], Any]] = None


@attrs.frozen
class FilterSchema:
    """What a collection can be filtered and ordered by, and how it is paged.

    Attributes:
        lookups: Server-side lookups by name. Ignored when ``paged`` is False.
        orderings: The keys ``order_by`` accepts (each also with ``-``).
        default_ordering: The ordering sent when none is chosen, so pages stay stable.
        paged: True for collections the server pages (``per_page``/``page``). False for
            collections the server returns whole; there, filters compare attributes of
            the loaded objects and ordering sorts them on the client.
        ordering_param: The query parameter that carries the ordering.
        attribute_names: For whole collections, the attributes that can be filtered on.
    """

    lookups: Mapping[str, Lookup] = attrs.field(factory=dict)
    orderings: frozenset[str] = frozenset()
    default_ordering: Optional[str] = None
    paged: bool = True
    ordering_param: str = "sort"
    attribute_names: frozenset[str] = frozenset()
    # Simplifies a combination of lookups the API cannot send as such; None: nothing
    # can match (``name="a.jpg"`` with ``name__contains="zz"``).
    normalize: Optional[Callable[[dict[str, Any]], Optional[dict[str, Any]]]] = None

    def check_lookups(self, lookups: Mapping[str, Any]) -> None:
        """Raise `ValidationError` for a lookup this collection does not support."""
        known = set(self.lookups) if self.paged else set(self.attribute_names)
        unknown = sorted(set(lookups) - known)
        if unknown:
            raise ValidationError(
                f"Unsupported filter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"supported: {', '.join(sorted(known)) or 'none'}"
            )
        if self.paged:
            for name, value in lookups.items():
                self.lookups[name].encode(value)  # validates; the result is rebuilt later

    def check_ordering(self, key: str) -> str:
        """Return ``key`` if it is a supported ordering, else raise `ValidationError`."""
        if not isinstance(key, str):
            raise ValidationError(f"order_by: expected a field name, got {key!r}")
        field = key[1:] if key.startswith("-") else key
        if field not in self.orderings:
            raise ValidationError(
                f"order_by: unsupported ordering {key!r}; supported: "
                f"{', '.join(sorted(self.orderings)) or 'none'} (prefix '-' to reverse)"
            )
        return key


# The function a manager gives the queryset to fetch raw items: it receives the query
# parameters (including paging) and returns the decoded JSON list.
Fetch = Callable[[dict[str, str]], list[Any]]


class QuerySet(Generic[T]):
    """A lazy, immutable query over one collection of the API.

    Users get querysets from managers (``dataset.samples.filter(...)``); they do not
    build them directly.
    """

    __slots__ = (
        "_cache",
        "_fetch",
        "_load",
        "_lookups",
        "_name",
        "_nothing",
        "_options",
        "_ordering",
        "_owner",
        "_page_size",
        "_prefetch",
        "_schema",
    )

    def __init__(
        self,
        fetch: Fetch,
        load: Callable[[Any], T],
        schema: FilterSchema,
        *,
        name: str = "objects",
        lookups: Optional[Mapping[str, Any]] = None,
        ordering: Optional[str] = None,
        page_size: int = MAX_PAGE_SIZE,
        options: Optional[Mapping[str, str]] = None,
        prefetch: bool = True,
        owner: Any = None,
        nothing: Union[bool, str] = False,
    ) -> None:
        self._fetch = fetch
        self._owner = owner
        self._load = load
        self._schema = schema
        self._name = name
        self._lookups: dict[str, Any] = dict(lookups or {})
        self._ordering = ordering
        self._page_size = page_size
        self._options: dict[str, str] = dict(options or {})
        self._prefetch = prefetch
        self._cache: Optional[list[T]] = [] if nothing else None
        # The filters contradict each other: no request can return anything. A string is
        # the later filter that contradicted ``lookups`` (shown by the repr).
        self._nothing = nothing

    # -- building (no I/O) -------------------------------------------------------------

    def _clone(self, **changes: Any) -> QuerySet[T]:
        state: dict[str, Any] = {
            "name": self._name,
            "lookups": self._lookups,
            "ordering": self._ordering,
            "page_size": self._page_size,
            "options": self._options,
            "prefetch": self._prefetch,
            "owner": self._owner,
            "nothing": self._nothing,
        }
        state.update(changes)
        return type(self)(self._fetch, self._load, self._schema, **state)

    def all(self) -> QuerySet[T]:
        """Return a copy of this queryset (with an empty result cache)."""
        return self._clone()

    def filter(self, **lookups: Any) -> QuerySet[T]:
        """Return a queryset narrowed by ``lookups`` (ANDed with the existing ones).

        Raises:
            ValidationError: A lookup is not supported here, or its value is invalid.
        """
        self._schema.check_lookups(lookups)
        merged = dict(self._lookups)
        try:
            for name, value in lookups.items():
                # A copy: editing the caller's dict later must not change this query.
                value = copy.deepcopy(value)
                merged[name] = self._merge(name, merged[name], value) if name in merged else value
            normalize = self._schema.normalize
            if normalize is not None:
                normalized = normalize(merged)
                if normalized is None:
                    raise NothingMatchesError
                merged = normalized
        except NothingMatchesError:
            # Keep the filter that contradicted the others, so the repr shows the whole query.
            conflict = _describe(lookups)
            if isinstance(self._nothing, str):
                conflict = f"{self._nothing} AND {conflict}"
            return self._clone(nothing=conflict)
        return self._clone(lookups=merged)

    def none(self) -> QuerySet[T]:
        """Return a queryset that matches nothing and never sends a request."""
        return self._clone(nothing=True)

    def _merge(self, name: str, old: Any, new: Any) -> Any:
        if not self._schema.paged:
            return _merge_attribute_values(old, new)
        merge = self._schema.lookups[name].merge
        if merge is None:
            raise ValidationError(
                f"{name}: already filtered by {old!r}; the API takes one value for it. "
                f"Filter with one value, or narrow the results in Python."
            )
        return merge(old, new)

    def order_by(self, key: str) -> QuerySet[T]:
        """Return a queryset ordered by ``key`` (``"-key"`` for descending).

        Raises:
            ValidationError: The collection cannot be ordered by ``key``.
        """
        return self._clone(ordering=self._schema.check_ordering(key))

    def page_size(self, size: int) -> QuerySet[T]:
        """Return a queryset that fetches ``size`` objects per request (1 to 1000)."""
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationError(f"page_size: expected an integer from 1 to 1000, got {size!r}")
        return self._clone(page_size=size)

    def with_options(self, **options: str) -> QuerySet[T]:
        """Return a queryset that sends extra query parameters (used by managers)."""
        return self._clone(options={**self._options, **options})

    # -- evaluation ----------------------------------------------------------------------

    def _query(self, page: int, per_page: int) -> dict[str, str]:
        query: dict[str, str] = {"per_page": str(per_page), "page": str(page)}
        query.update(self._options)
        for name, value in self._lookups.items():
            query.update(self._schema.lookups[name].encode(value))
        ordering = self._ordering or self._schema.default_ordering
        if ordering:
            query[self._schema.ordering_param] = ordering
        return query

    def _post_filters(self) -> list[tuple[PostFilter, Any]]:
        if not self._schema.paged:
            return []
        return [
            (lookup.post_filter, self._lookups[name])
            for name, lookup in ((n, self._schema.lookups[n]) for n in self._lookups)
            if lookup.post_filter is not None
        ]

    def _fetch_page(self, page: int, per_page: int) -> list[Any]:
        if self._nothing:
            return []
        try:
            items = self._fetch(self._query(page, per_page))
        except NotFoundError as error:
            # Past the last page the API answers 404 "Invalid page." (WIRE.md 10); on
            # page 1 a 404 means the collection itself is missing and must surface.
            if page > 1 and "invalid page" in str(error).lower():
                return []
            raise
        if not isinstance(items, list):
            raise ValidationError(
                f"Expected a list of {self._name} from the server, got {type(items).__name__}"
            )
        return items

    def _raw_pages(
        self,
        first_page: int = 1,
        per_page: Optional[int] = None,
        last_page: Optional[int] = None,
    ) -> Iterator[list[Any]]:
        """Yield raw pages from ``first_page`` until the end (or ``last_page``).

        One page is fetched ahead, but never past ``last_page``: a slice must not send a
        request for a page it does not need, even one cancelled a moment later.
        """
        size = per_page or self._page_size
        if not self._prefetch:
            page = first_page
            while True:
                items = self._fetch_page(page, size)
                if items:
                    yield items
                if not _maybe_more(items, size) or (last_page is not None and page >= last_page):
                    return
                page += 1
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="segments-orm-page"
        )
        abandoned = threading.Event()

        def fetch_ahead(page: int) -> list[Any]:
            with cancellable(abandoned):
                return self._fetch_page(page, size)

        try:
            page = first_page
            pending = pool.submit(self._fetch_page, page, size)
            while True:
                items = pending.result()
                more = _maybe_more(items, size) and (last_page is None or page < last_page)
                if more:
                    # The next page travels while the caller consumes this one.
                    pending = pool.submit(fetch_ahead, page + 1)
                if items:
                    yield items
                if not more:
                    return
                page += 1
        finally:
            # After a break, the page read ahead is abandoned: it stops at its next retry
            # or wait, so closing waits for one request at most, never a retry budget.
            abandoned.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def _raw_pages_at_once(self, expected: int, max_workers: int) -> Iterator[list[Any]]:
        """Yield every raw page, reading the ``expected`` items' pages (and one more) at once.

        For a caller that knows about how many items there are (a dataset's sample count):
        those pages travel together instead of one after the other (with the page after
        them when theirs would end full, to prove the end). If the last one read is full
        (the count was stale), the rest is read page by page as ``_raw_pages`` does. Pages
        read at once may overlap or miss an item that moved while they were read; the
        caller must cope (``bulk_set`` reads a missing sample's own label).

        Network: one request per page, up to ``max_workers`` at once.
        """
        size = self._page_size
        expected = max(expected, 1)
        # A last page that would be exactly full cannot prove the end by itself.
        count = -(-expected // size) + (expected % size == 0)
        outcome = run_bulk(
            lambda page: self._fetch_page(page, size),
            list(range(1, count + 1)),
            max_workers=max_workers,
            progress=False,
        )
        if outcome.errors:
            raise outcome.errors[min(outcome.errors)]
        pages = [page or [] for page in outcome.results]
        for page in pages:
            if page:
                yield page
        if _maybe_more(pages[-1], size):
            yield from self._raw_pages(first_page=count + 1)

    def _whole(self) -> list[T]:
        if self._nothing:
            return []
        items = [self._load(raw) for raw in self._fetch({**self._options})]
        for name, value in self._lookups.items():
            items = [obj for obj in items if _attribute_matches(getattr(obj, name, None), value)]
        if self._ordering:
            key = self._ordering.lstrip("-")
            items.sort(key=lambda obj: _sort_key(getattr(obj, key, None)))
            if self._ordering.startswith("-"):
                items.reverse()
        return items

    def iterator(self) -> Iterator[T]:
        """Stream the results page by page without caching them (for large collections).

        Network: one request per page, the next page fetched while you consume this one.
        """
        if self._cache is not None:
            yield from self._cache
            return
        if not self._schema.paged:
            yield from self._whole()
            return
        post = self._post_filters()
        load = self._load
        for raw_page in self._raw_pages():
            for raw in raw_page:
                obj = load(raw)
                if all(test(obj, value) for test, value in post):
                    yield obj

    def _object_pages(self) -> Iterator[tuple[list[T], bool]]:
        """Yield the results a page at a time, each page with whether it is fresh.

        A fresh page was just built from the server's answer (nobody has edited its
        objects yet); a cached one (``list(qs)`` ran before) is what the user holds. The
        generator keeps no page once it has asked for the next: a caller that drops its
        own reference holds one page of objects at a time.
        """
        if self._cache is not None:
            yield list(self._cache), False
            return
        if not self._schema.paged:
            yield self._whole(), True
            return
        post = self._post_filters()
        load = self._load
        for raw_page in self._raw_pages():
            objects = [load(raw) for raw in raw_page]
            if post:
                objects = [o for o in objects if all(test(o, value) for test, value in post)]
            yield objects, True
            del objects

    def _table_plan(self, fields: Sequence[str], what: str) -> tuple[tuple[str, str], ...]:
        """Return (public, attrs) names of ``fields`` (all by default), checked up front."""
        model = getattr(self._owner, "model", None)
        table_fields = getattr(model, "_table_fields", None)
        if table_fields is None:
            raise ValidationError(f"{what}: the {self._name} have no field table")
        known: tuple[tuple[str, str], ...] = table_fields()
        if not fields:
            return known
        by_name = dict(known)
        for name in fields:
            if not isinstance(name, str) or name not in by_name:
                raise ValidationError(
                    f"{what}: {name!r} is not a field of the {self._name}; fields: "
                    f"{', '.join(by_name)}"
                )
        return tuple((name, by_name[name]) for name in fields)

    def values(self, *fields: str) -> Iterator[dict[str, Any]]:
        """Stream the results as dicts of their fields in JSON form, page by page.

        Each row is what ``to_dict()`` gives for those fields (timestamps as ISO 8601
        strings, enums as their values): ready for ``json.dumps`` or a JSON Lines file.
        Nothing is cached; one page of objects is held at a time.

        Network: one request per page (none when the results are cached).

        Args:
            fields: The fields to include, in this order (all public fields by default).

        Raises:
            ValidationError: A name is not a field (raised before any request).
        """
        plan = self._table_plan(fields, "values")
        return self._rows(plan, dict)

    def values_list(self, *fields: str, flat: bool = False) -> Iterator[Any]:
        """Stream the results as tuples of their fields in JSON form (see `values`).

        Network: one request per page (none when the results are cached).

        Args:
            fields: The fields, in this order (all public fields by default).
            flat: Yield the single field's value itself instead of 1-tuples.

        Raises:
            ValidationError: A name is not a field, or ``flat`` with other than one field.
        """
        if flat and len(fields) != 1:
            raise ValidationError("values_list: flat=True needs exactly one field")
        plan = self._table_plan(fields, "values_list")
        return self._rows(plan, tuple if not flat else None)

    def _rows(self, plan: tuple[tuple[str, str], ...], kind: Any) -> Iterator[Any]:
        for page, _ in self._object_pages():
            for obj in page:
                row = [obj._json_field(public, name) for public, name in plan]  # type: ignore[attr-defined]
                if kind is dict:
                    yield dict(zip((public for public, _ in plan), row))
                elif kind is tuple:
                    yield tuple(row)
                else:
                    yield row[0]
            del page

    def to_pandas(
        self,
        fields: Optional[Sequence[str]] = None,
        *,
        metadata_columns: Union[bool, Sequence[str]] = False,
    ) -> Any:
        """Build a `pandas.DataFrame` of the results, one row per object.

        Columns are the public fields (or ``fields``, in that order). Timestamps are
        timezone-aware (UTC) datetimes, enums plain strings, dicts and lists stay Python
        objects. On samples queried with ``include_label(labelset)`` the label's
        ``label_status`` (``UNLABELED`` where there is none), ``label_score`` and
        ``labelset`` are columns; with ``include_label(..., full=True)`` also
        ``annotation_count`` and one ``count_<category>`` column per category. The
        frame is built page by page: besides the frame itself, one page of objects is
        held at a time.

        Network: one request per page (none when cached), plus one to load the dataset's
        categories for per-category counts when the dataset is not loaded yet.

        Args:
            fields: The fields to include (all public fields by default).
            metadata_columns: Expand metadata keys into ``metadata.<key>`` columns: True
                for every key found, or a list of keys. The ``metadata`` column itself
                is then left out unless ``fields`` names it.

        Raises:
            MissingDependencyError: pandas is not installed (``pip install
                'segments-orm[pandas]'``).
            ValidationError: A name is not a field, or ``metadata_columns`` is invalid.
        """
        from segments_orm import _tables

        if isinstance(fields, str) or not isinstance(fields, (Sequence, type(None))):
            raise ValidationError(f"to_pandas: fields must be a list of names, got {fields!r}")
        plan = self._table_plan(tuple(fields or ()), "to_pandas")
        return _tables.build_frame(self, plan, fields is not None, metadata_columns)

    def __iter__(self) -> Iterator[T]:
        """Iterate over every result, caching them on this queryset.

        Network: one request per page on first iteration, none afterwards.
        """
        if self._cache is None:
            self._cache = list(self.iterator())
        return iter(self._cache)

    def __len__(self) -> int:
        """Return the number of results, fetching them all (and caching them)."""
        if self._cache is None:
            self._cache = list(self.iterator())
        return len(self._cache)

    def __bool__(self) -> bool:
        """Tell whether there is any result (fetches everything, as Django does)."""
        return len(self) > 0

    @overload
    def __getitem__(self, key: int) -> T: ...

    @overload
    def __getitem__(self, key: slice) -> list[T]: ...

    def __getitem__(self, key: Union[int, slice]) -> Union[T, list[T]]:
        """Return one result or a list of them, fetching only the pages that cover them.

        Network: the pages that cover the index or slice (none when cached).

        Raises:
            ValidationError: A negative index or bound (it would need the whole result).
            IndexError: The index is past the end.
        """
        if isinstance(key, bool) or not isinstance(key, (int, slice)):
            raise ValidationError(f"QuerySet indices must be integers or slices, not {key!r}")
        if isinstance(key, int):
            if key < 0:
                raise ValidationError("Negative indexing is not supported on a QuerySet")
            found = self._slice(key, key + 1)
            if not found:
                raise IndexError(f"QuerySet index {key} out of range")
            return found[0]
        start, stop, step = key.start or 0, key.stop, key.step
        for bound in (start, stop):
            if bound is not None and (not isinstance(bound, int) or bound < 0):
                raise ValidationError("Negative or non-integer slice bounds are not supported")
        if step is not None and (not isinstance(step, int) or step < 1):
            raise ValidationError("Slice steps must be positive integers")
        items = self._slice(start, stop)
        return items[::step] if step else items

    def _slice(self, start: int, stop: Optional[int]) -> list[T]:
        if self._cache is not None:
            return self._cache[start:stop]
        if stop is not None and stop <= start:
            return []
        if not self._schema.paged or self._post_filters():
            # Client-side filtering: positions are only known after filtering from the start.
            return list(itertools.islice(self.iterator(), start, stop))
        size = self._page_size
        if stop is not None and stop < size:
            # The whole slice lies in the first ``stop`` results: ask for just those.
            size = stop
        first_page = start // size + 1
        offset = start - (first_page - 1) * size
        wanted = None if stop is None else stop - start
        last_page = None if stop is None else (stop - 1) // size + 1
        out: list[T] = []
        for raw_page in self._raw_pages(first_page, per_page=size, last_page=last_page):
            chunk = raw_page[offset:]
            offset = 0
            if wanted is not None:
                chunk = chunk[: wanted - len(out)]
            out.extend(self._load(raw) for raw in chunk)
            if wanted is not None and len(out) >= wanted:
                break
        return out

    def first(self) -> Optional[T]:
        """Return the first result, or None when there is none.

        Network: one small request (none when cached).
        """
        if self._cache is not None:
            return self._cache[0] if self._cache else None
        if not self._schema.paged or self._post_filters():
            return next(iter(self.iterator()), None)
        items = self._fetch_page(1, 1)
        return self._load(items[0]) if items else None

    def exists(self) -> bool:
        """Tell whether there is at least one result.

        Network: one small request (none when cached).
        """
        return self.first() is not None

    def count(self) -> int:
        """Count the results.

        The API has no count endpoint: this pages through the results with the largest
        page size, without building objects (none when cached).

        Network: one request per 1000 results.
        """
        if self._cache is not None:
            return len(self._cache)
        if not self._schema.paged:
            return len(self._whole())
        if self._post_filters():
            return sum(1 for _ in self.iterator())
        return sum(len(page) for page in self._raw_pages(per_page=MAX_PAGE_SIZE))

    def get(self, **lookups: Any) -> T:
        """Return the one result matching ``lookups``.

        Network: one request, more when a client-side refinement needs more pages.

        Raises:
            NotFoundError: Nothing matches.
            MultipleObjectsReturned: More than one object matches.
        """
        query = self.filter(**lookups) if lookups else self
        if query._cache is not None:
            found = query._cache[:2]
        elif query._schema.paged and not query._post_filters():
            found = [query._load(raw) for raw in query._fetch_page(1, 2)]  # two tell enough
        else:
            found = list(itertools.islice(query.iterator(), 2))
        described = _describe(query._lookups)
        if not found:
            raise NotFoundError(f"No {self._name} matches {described}")
        if len(found) > 1:
            raise MultipleObjectsReturned(f"More than one of the {self._name} matches {described}")
        return found[0]

    def __repr__(self) -> str:
        head = f"{self._name}{' ' + _describe(self._lookups) if self._lookups else ''}"
        if isinstance(self._nothing, str):
            return (
                f"<QuerySet {head} AND {self._nothing}: chained filters are ANDed, so nothing"
                " matches (no request needed) []>"
            )
        if self._cache is None:
            return f"<QuerySet {head} (not fetched yet)>"
        shown = ", ".join(repr(obj) for obj in self._cache[:_REPR_ITEMS])
        more = (
            f", ... {len(self._cache) - _REPR_ITEMS} more" if len(self._cache) > _REPR_ITEMS else ""
        )
        return f"<QuerySet {head} [{shown}{more}]>"

    def __dir__(self) -> list[str]:
        # Tab completion shows the queryset API, not its slots.
        return sorted(n for n in object.__dir__(self) if not n.startswith("_"))

    def _repr_html_(self) -> str:
        """Render the first results (samples as thumbnails, others as a table).

        Network: one small page when nothing is cached yet.
        """
        from html import escape

        total: Optional[int]
        if self._cache is not None:
            rows, total = self._cache[:_HTML_ROWS], len(self._cache)
        else:
            fetched = self[: _HTML_ROWS + 1]
            rows = fetched[:_HTML_ROWS]
            total = len(fetched) if len(fetched) <= _HTML_ROWS else None
        what = self._name + (f" {_describe(self._lookups)}" if self._lookups else "")
        count = f"the first {len(rows)} (there are more)" if total is None else f"{total} in all"
        if rows and all(callable(getattr(obj, "_html_card", None)) for obj in rows):
            # Objects with a picture (samples): a grid of thumbnails from the same page.
            from segments_orm._html import thumbnail_grid

            grid = thumbnail_grid([obj._html_card() for obj in rows], f"{what}: {count}")  # type: ignore[attr-defined]
        else:
            grid = ""
        cells = [_html_row(obj) for obj in rows]
        columns: list[str] = []
        for row in cells:
            columns.extend(c for c in row if c not in columns)
        head = "".join(f"<th>{escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(row.get(c, ''))}</td>" for c in columns) + "</tr>"
            for row in cells
        )
        table = (
            f"<table><caption>{escape(what)}: {escape(count)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
        # With thumbnails, the table (uuids, dates) is one click away.
        return f"{grid}<details><summary>table</summary>{table}</details>" if grid else table


def _html_row(obj: Any) -> dict[str, str]:
    row = getattr(obj, "_html_row", None)
    return row() if callable(row) else {"": repr(obj)}


# A server may cap per_page below what was asked (WIRE.md 10: the cap is unknown). Its
# pages then come back short but full, and a short page would look like the last one.
# Caps are round numbers: a short page of a multiple of this many items is confirmed with
# one more request, so iteration never stops at page one without saying so.
_CAP_STEP = 50


def _maybe_more(items: list[Any], size: int) -> bool:
    """Tell whether a page of ``items`` (asked ``size``) may have a page after it."""
    count = len(items)
    return count >= size or (count > 0 and count % _CAP_STEP == 0)


def _as_choices(value: Any) -> Optional[frozenset[str]]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(getattr(v, "value", v)) for v in value)
    return None


def _merge_attribute_values(old: Any, new: Any) -> Any:
    """AND two client-side filters on one attribute (a list means "any of")."""
    old_set, new_set = _as_choices(old), _as_choices(new)
    if old_set is None and new_set is None:
        if str(getattr(old, "value", old)) != str(getattr(new, "value", new)):
            raise NothingMatchesError
        return new
    left = old_set if old_set is not None else frozenset({str(getattr(old, "value", old))})
    right = new_set if new_set is not None else frozenset({str(getattr(new, "value", new))})
    both = left & right
    if not both:
        raise NothingMatchesError
    return sorted(both) if len(both) > 1 else next(iter(both))


def merge_choices(old: Any, new: Any) -> Any:
    """AND two "one of these values" filters: the values in both (`NothingMatchesError` if none)."""
    return _merge_attribute_values(
        [old] if isinstance(old, str) else old, [new] if isinstance(new, str) else new
    )


def merge_mappings(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """AND two "these keys have these values" filters (`NothingMatchesError` on a conflict)."""
    merged = dict(old)
    for key, value in new.items():
        if key in merged and merged[key] != value:
            raise NothingMatchesError
        merged[key] = value
    return merged


def _describe(lookups: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in lookups.items()) or "(no filter)"


def _attribute_matches(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, (list, tuple, set, frozenset)) and not isinstance(actual, (list, tuple)):
        return any(_attribute_matches(actual, w) for w in wanted)
    if isinstance(actual, str) or isinstance(wanted, str):
        return str(actual) == str(wanted) if actual is not None else wanted is None
    return bool(actual == wanted)


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts first and mixed types never raise.
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))


def encode_choice(name: str, choices: Sequence[str]) -> Encoder:
    """Build an encoder for a lookup taking one or several values from ``choices``."""

    def encode(value: Any) -> dict[str, str]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, (list, tuple, set, frozenset)) or not values:
            raise ValidationError(f"{name}: expected one of {', '.join(choices)} or a list of them")
        texts = []
        for item in values:
            text = getattr(item, "value", item)
            if not isinstance(text, str) or text not in choices:
                raise ValidationError(f"{name}: {item!r} is not one of {', '.join(choices)}")
            texts.append(text)
        return {name: ",".join(texts)}

    return encode


def encode_text(param: str, argument: str) -> Encoder:
    """Build an encoder for a lookup taking one non-empty string."""

    def encode(value: Any) -> dict[str, str]:
        if not isinstance(value, str) or not value:
            raise ValidationError(f"{argument}: expected a non-empty string, got {value!r}")
        return {param: value}

    return encode
