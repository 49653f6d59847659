"""The sorted index pages exactly like Stripe, checked against a brute-force model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orion.emulator.stripe.listing import SortedIndex
from orion.emulator.stripe.params import CreatedRange

objects = st.lists(
    st.tuples(st.integers(0, 30), st.text(alphabet="abcdef", min_size=3, max_size=3)),
    unique_by=lambda pair: pair[1],
    max_size=40,
)

# Examples are cheap, but a busy 2-core runner can stall any single one past a deadline.
relaxed = settings(deadline=None)


def _index(items: list[tuple[int, str]]) -> SortedIndex:
    index = SortedIndex()
    index.load(items)
    return index


def _model(items: list[tuple[int, str]], created: CreatedRange) -> list[str]:
    """Newest first, ties by id descending, restricted to the created range."""
    return [i for c, i in sorted(items, reverse=True) if created.contains(c)]


created_ranges = st.builds(
    CreatedRange,
    gte=st.one_of(st.none(), st.integers(0, 30)),
    lte=st.one_of(st.none(), st.integers(0, 30)),
)


@relaxed
@given(objects, st.integers(1, 7), created_ranges)
def test_forward_paging_visits_each_object_once_in_order(
    items: list[tuple[int, str]], limit: int, created: CreatedRange
) -> None:
    index = _index(items)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page, has_more = index.page(limit=limit, starting_after=cursor, created=created)
        assert len(page) <= limit
        seen += page
        if not has_more:
            break
        assert len(page) == limit
        cursor = page[-1]

    assert seen == _model(items, created)


@relaxed
@given(objects, st.integers(1, 7), created_ranges)
def test_backward_paging_visits_each_object_once(
    items: list[tuple[int, str]], limit: int, created: CreatedRange
) -> None:
    index = _index(items)
    expected = _model(items, created)
    if not expected:
        return
    # Start just past the oldest object, then page towards newer ones like the SDK does.
    oldest = expected[-1]
    seen: list[str] = [oldest]
    cursor = oldest
    while True:
        page, has_more = index.page(limit=limit, ending_before=cursor, created=created)
        assert page == sorted(page, key=lambda i: expected.index(i))  # newest first
        seen += reversed(page)
        if not has_more:
            break
        cursor = page[0]

    assert seen == list(reversed(expected))


@relaxed
@given(objects, st.data())
def test_remove_keeps_order(items: list[tuple[int, str]], data: st.DataObject) -> None:
    index = _index(items)
    removed = data.draw(
        st.sets(st.sampled_from([i for _, i in items])) if items else st.just(set())
    )
    for object_id in removed:
        index.remove(object_id)

    remaining = [pair for pair in items if pair[1] not in removed]
    assert index.ids_newest_first() == _model(remaining, CreatedRange())
    assert len(index) == len(remaining)


@relaxed
@given(objects, st.integers(1, 5), st.data())
def test_predicate_filters_without_losing_objects(
    items: list[tuple[int, str]], limit: int, data: st.DataObject
) -> None:
    index = _index(items)
    keep = data.draw(st.sets(st.sampled_from("abcdef")))

    def wanted(object_id: str) -> bool:
        return object_id[0] in keep

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page, has_more = index.page(limit=limit, starting_after=cursor, predicate=wanted)
        seen += page
        if not has_more:
            break
        cursor = page[-1]

    assert seen == [i for i in _model(items, CreatedRange()) if wanted(i)]


def test_large_index_pages_from_both_ends() -> None:
    index = SortedIndex()
    index.load((n // 3, f"id{n:06d}") for n in range(100_000))

    newest, more_new = index.page(limit=100)
    oldest, more_old = index.page(limit=100, ending_before="id000000")
    after_last, more_after = index.page(limit=100, starting_after="id000000")

    assert newest[0] == "id099999" and more_new
    assert oldest[0] == "id000100" and oldest[-1] == "id000001" and more_old
    assert after_last == [] and not more_after
