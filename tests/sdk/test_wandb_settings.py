"""``archivist.Settings(...)`` takes W&B's Settings fields, as W&B scripts pass them to ``init``."""

from __future__ import annotations

from pathlib import Path

import pytest

import archivist


def test_wandb_settings_fields_are_accepted_and_the_meaningful_ones_apply(archivist_env: Path) -> None:
    settings = archivist.Settings(
        start_method="thread",  # older W&B; no meaning here
        console="off",
        disable_git=True,
        _disable_stats=True,
        x_disable_meta=True,
        project="from-settings",
        run_job_type="train",
        run_group="g",
        run_name="named",
        run_notes="about",
        run_tags=["a", "b"],
    )
    assert settings.project == "from-settings" and settings.start_method == "thread"
    assert settings.save_code is None  # a W&B field not given
    with archivist.init(settings=settings) as run:
        assert (run.project, run.job_type, run.group, run.name, run.notes) == (
            "from-settings",
            "train",
            "g",
            "named",
            "about",
        )
        assert tuple(run.tags) == ("a", "b")
    with archivist.init(project="argument wins", settings=settings) as run:
        assert run.project == "argument wins"


def test_root_dir_keeps_runs_where_wandb_would(archivist_env: Path, tmp_path: Path) -> None:
    with archivist.init(project="p", settings=archivist.Settings(root_dir=str(tmp_path / "out"))) as run:
        assert Path(run.dir).is_relative_to(tmp_path / "out" / "wandb")


def test_update_sets_more_fields(archivist_env: Path) -> None:
    settings = archivist.Settings(project="first")
    settings.update({"project": "second"}, start_method="fork")
    with archivist.init(settings=settings) as run:
        assert run.project == "second"


@pytest.mark.parametrize(
    "make", [lambda: archivist.Settings(projcet="p"), lambda: archivist.Settings().update(projcet="p")]
)
def test_an_unknown_field_is_refused_with_the_close_name(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"Settings has no field 'projcet' \(did you mean 'project'\?\)"):
        make()


def test_an_unknown_field_is_no_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'bogus'"):
        archivist.Settings().bogus  # noqa: B018


def test_a_settings_dict_is_checked_the_same_way(archivist_env: Path) -> None:
    with pytest.raises(ValueError, match="Settings has no field 'bogus'"):
        archivist.init(settings={"bogus": 1})
    with pytest.raises(ValueError, match="must be an archivist.Settings or a dict"):
        archivist.init(settings=42)  # type: ignore[arg-type]
