"""The per-worker response cache: least recently used first out, bounded by entries and by bytes."""

from __future__ import annotations

from sciplane.cache import ResponseCache


def test_the_least_recently_used_entry_leaves_first():
    cache = ResponseCache(2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # now b is the oldest
    cache.put("c", b"3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")


def test_the_byte_budget_bounds_the_values_held():
    cache = ResponseCache(100, max_bytes=100)
    for key in "abcd":
        cache.put(key, bytes(20))
    assert (len(cache), cache.bytes) == (4, 80)
    cache.put("e", bytes(25))  # 105 bytes: the oldest goes
    assert (len(cache), cache.bytes, cache.get("a"), cache.get("e")) == (4, 85, None, bytes(25))
    cache.put("b", bytes(5))  # replacing a value counts its new size only
    assert (cache.bytes, cache.get("b")) == (70, bytes(5))


def test_a_value_above_a_quarter_of_the_budget_is_not_kept():
    cache = ResponseCache(100, max_bytes=100)
    cache.put("small", bytes(10))
    cache.put("large", bytes(26))
    assert (cache.get("large"), cache.get("small"), cache.bytes) == (None, bytes(10), 10)


def test_sizes_can_be_counted_by_the_caller():
    cache = ResponseCache(10, max_bytes=40, size=lambda answer: len(answer[1]))
    cache.put(1, ("meta", bytes(10)))
    cache.put(2, ("meta", bytes(10)))
    assert cache.bytes == 20


def test_either_bound_at_zero_turns_the_cache_off():
    for cache in (ResponseCache(0), ResponseCache(10, max_bytes=0)):
        cache.put("a", b"1")
        assert (cache.get("a"), len(cache)) == (None, 0)
