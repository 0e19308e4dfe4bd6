"""W&B's run filters checked without a database: the tree they become and the errors
that name what is allowed."""

from __future__ import annotations

import datetime as dt

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.run_filters import (
    Combined,
    Condition,
    Field,
    parse_field,
    parse_run_filters,
    parse_run_order,
)


def test_fields_in_both_spellings() -> None:
    assert parse_field("config.opt.lr") == Field("config", ("opt", "lr"))
    assert parse_field("config.lr.value") == Field("config", ("lr",))  # W&B's stored form
    assert parse_field("summary_metrics.acc") == parse_field("summary.acc") == Field("summary", ("acc",))
    assert parse_field("jobType") == parse_field("job_type") == Field("job_type")
    assert parse_field("displayName") == Field("display_name") and parse_field("name") == Field("run_id")


def test_a_document_becomes_a_tree() -> None:
    tree = parse_run_filters(
        {"$or": [{"config.lr": {"$gt": 0.1, "$lt": 1}}, {"tags": {"$in": ["a", "b"]}}], "state": "finished"}
    )
    lr = Field("config", ("lr",))
    assert tree == Combined(
        "$and",
        (
            Combined(
                "$or",
                (
                    Combined("$and", (Condition(lr, "$gt", 0.1), Condition(lr, "$lt", 1))),
                    Condition(Field("tags"), "$in", ("a", "b")),
                ),
            ),
            Condition(Field("state"), "$eq", "finished"),
        ),
    )
    assert parse_run_filters(None) is None and parse_run_filters({}) is None


def test_dates_become_aware_datetimes() -> None:
    tree = parse_run_filters({"createdAt": {"$gte": "2025-01-31"}})
    assert tree == Condition(Field("created_at"), "$gte", dt.datetime(2025, 1, 31, tzinfo=dt.timezone.utc))
    zulu = parse_run_filters({"updatedAt": "2025-01-31T12:00:00Z"})
    assert isinstance(zulu, Condition) and zulu.value.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("filters", "said"),
    [
        ({"config.lr": {"$gtx": 1}}, r"unknown run filter operator '\$gtx' on 'config.lr': use one of \$eq"),
        ({"$where": "x"}, r"'\$where' at the top of a filter: use one of \$and, \$or, \$nor"),
        ({"$and": {"a": 1}}, r"\$and takes a non-empty list"),
        ({"$or": []}, r"\$or takes a non-empty list"),
        ({"colour": "red"}, r"unknown run filter field 'colour': use config.<key>"),
        ({"config": 1}, r"name a key, as in 'config.lr'"),
        ({"config.a..b": 1}, "name a key"),
        ({"config.lr": {"$gt": True}}, "cannot order booleans"),
        ({"config.lr": {"$gt": None}}, "cannot compare with null"),
        ({"config.lr": {"$in": 3}}, r"\$in on 'config.lr' takes a list"),
        ({"config.lr": {"$exists": "yes"}}, "takes true or false"),
        ({"config.lr": {"$regex": "("}}, r"invalid \$regex '\('"),
        ({"config.lr": [1, 2]}, "compares with a string, number, boolean or null"),
        ({"config.lr": {"$gt": 1, "plain": 2}}, "mixes operators and plain keys"),
        ({"state": 3}, "compares with text"),
        ({"createdAt": "last week"}, "invalid date 'last week'"),
        ({"config.lr": 2**60}, "too large"),
        ({"config.lr": float("nan")}, "NaN"),
        ({'config.a"b': 1}, "cannot be filtered on"),
        ([("config.lr", 1)], "expected a dict"),
    ],
)
def test_mistakes_name_what_is_allowed(filters: object, said: str) -> None:
    with pytest.raises(InvalidInputError, match=said):
        parse_run_filters(filters)


def test_too_deep_a_document_is_refused() -> None:
    document: dict[str, object] = {"state": "finished"}
    for _ in range(40):
        document = {"$and": [document]}
    with pytest.raises(InvalidInputError, match="nest deeper than 32"):
        parse_run_filters(document)


def test_orders() -> None:
    assert parse_run_order("-created_at") == (Field("created_at"), True)
    assert parse_run_order("createdAt") == (Field("created_at"), False)
    assert parse_run_order("+summary_metrics.acc") == (Field("summary", ("acc",)), False)
    for bad in ("-notes", "+", "", "-nothing", 3):
        with pytest.raises(InvalidInputError, match="invalid run order"):
            parse_run_order(bad)
