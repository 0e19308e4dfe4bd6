"""The pure rules of automations: filters, metric windows, payload templates, signatures
and the events a version's change makes."""

from __future__ import annotations

import pytest

from archivist.core.automation_events import version_events
from archivist.core.automation_filters import change_crossed, matches, threshold_crossed, validate_filter
from archivist.core.automations import EventType
from archivist.core.errors import InvalidInputError
from archivist.core.models import VersionRecord, VersionState
from archivist.core.payload_templates import render, validate_template
from archivist.core.webhook_signing import signature, verify_signature


def _version(aliases: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> VersionRecord:
    return VersionRecord(
        "7", "ent", "proj", "model", "model", 3, "d" * 64, "m" * 64, 1, 1, None, {"acc": 0.9}, aliases, tags,
        None, VersionState.COMMITTED, "2026-12-07T00:00:00+00:00", "2026-12-07T00:00:00+00:00",
    )  # fmt: skip


def test_field_filters_match_exactly_by_regex_and_combined() -> None:
    prod = validate_filter({"field": "alias", "op": "eq", "value": "prod"})
    assert matches(prod, {"alias": "prod"}) and not matches(prod, {"alias": "production"})
    regex = validate_filter({"field": "alias", "op": "regex", "value": "^prod"})
    assert matches(regex, {"alias": "production"}) and not matches(regex, {"alias": "preprod"})
    both = validate_filter({"and": [regex, {"field": "run_user", "op": "in", "value": ["ann"]}]})
    assert matches(both, {"alias": "prod", "run_user": "ann"}) and not matches(both, {"alias": "prod"})
    assert matches({}, {}) and not matches(prod, {"tag": "prod"})


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"field": "alias", "op": "regex", "value": "("}, "invalid regex"),
        ({"field": "alias", "op": "eq", "value": 3}, "takes a string"),
        ({"metric": {"name": "loss", "cmp": "~", "threshold": 1}}, "cmp is one of"),
        ({"metric": {"name": "loss", "cmp": ">", "threshold": "high"}}, "numeric threshold"),
        ({"metric_change": {"name": "loss", "threshold": -1}}, "positive threshold"),
        ({"and": {"field": "alias"}}, "list of filters"),
        ({"colour": "red"}, "unknown automation filter"),
    ],
)
def test_bad_filters_are_named(tree: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        validate_filter(tree)


def test_metric_thresholds_and_changes_over_windows() -> None:
    spec = {"name": "loss", "agg": "AVERAGE", "window": 3, "cmp": ">", "threshold": 0.6}
    assert not threshold_crossed(spec, [0.9, 0.9])  # fewer values than the window
    assert threshold_crossed(spec, [0.0, 0.5, 0.7, 0.8]) and not threshold_crossed(spec, [0.9, 0.5, 0.5, 0.7])
    change = {"name": "acc", "agg": "AVERAGE", "window": 2, "prior_window": 2, "change_type": "RELATIVE",
              "change_dir": "DECREASE", "threshold": 0.5}  # fmt: skip
    assert change_crossed(change, [1.0, 1.0, 0.4, 0.4]) and not change_crossed(change, [1.0, 1.0, 0.6, 0.6])
    assert not change_crossed({**change, "change_dir": "INCREASE"}, [1.0, 1.0, 0.4, 0.4])


def test_templates_render_values_text_and_secrets_without_evaluating() -> None:
    template = validate_template(
        {
            "v": "${artifact_version_string}",
            "acc": "${artifact_metadata.acc}",
            "t": "a=${alias} k=$KEY",
            "n": [1, "${tag}"],
        },
        ("KEY",),
    )
    variables = {
        "artifact_version_string": "e/p/c:v1",
        "artifact_metadata": {"acc": 0.5},
        "alias": "prod",
        "tag": None,
    }
    assert render(template, variables, {"KEY": "s"}) == {
        "v": "e/p/c:v1",
        "acc": 0.5,
        "t": "a=prod k=s",
        "n": [1, None],
    }
    code = {"x": "${__import__('os').system('x')}"}  # not a variable: stays text, never run
    assert render(validate_template(code), variables, {}) == code
    with pytest.raises(InvalidInputError, match="unknown payload variable 'run'"):
        validate_template({"x": "${run}"})
    with pytest.raises(InvalidInputError, match="'OTHER'"):
        validate_template({"x": "$OTHER"}, ("KEY",))


def test_signatures_verify_and_refuse_changes_and_old_timestamps() -> None:
    signed = signature("secret", 1000, b'{"a":1}')
    assert signed.startswith("sha256=") and len(signed) == 71
    assert verify_signature("secret", "1000", b'{"a":1}', signed, now=1010)
    assert not verify_signature("secret", "1000", b'{"a":2}', signed, now=1010)
    assert not verify_signature("other", "1000", b'{"a":1}', signed, now=1010)
    assert not verify_signature("secret", "1000", b'{"a":1}', signed, now=5000)  # a replay
    assert not verify_signature("secret", "soon", b'{"a":1}', signed, now=1010)


def test_a_versions_change_makes_one_event_per_alias_and_tag_and_none_for_latest() -> None:
    created = version_events(None, _version(("latest", "prod"), ("gold",)), "ann")
    assert [(e.event_type, e.variables["alias"], e.variables["tag"]) for e in created] == [
        (EventType.CREATE_ARTIFACT, None, None),
        (EventType.ADD_ARTIFACT_ALIAS, "prod", None),
        (EventType.ADD_ARTIFACT_TAG, None, "gold"),
    ]
    assert created[1].variables["artifact_version_string"] == "ent/proj/model:prod"
    changed = version_events(_version(("latest", "prod"), ("gold",)), _version(("staging",), ()), "ann")
    assert [(e.event_type.value, e.variables["alias"] or e.variables["tag"]) for e in changed] == [
        ("ADD_ARTIFACT_ALIAS", "staging"),
        ("REMOVE_ARTIFACT_ALIAS", "prod"),
        ("REMOVE_ARTIFACT_TAG", "gold"),
    ]
    assert version_events(_version(("a",)), _version(("a",)), "ann") == []
