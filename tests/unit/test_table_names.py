"""Table names and the region come from the environment when a table is used, not when its
store is imported: a process that imports the stores before it knows its stage (a test
runner, the CDK app) still reaches that stage's tables."""

from __future__ import annotations

import pytest

from chalicelib.store import schema


def test_a_stage_set_after_import_names_every_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHN_STAGE", "dev")
    monkeypatch.delenv("DHN_RESOURCE_PREFIX", raising=False)
    names = [model.Meta.table_name for model in schema.MODELS]
    assert all(name.startswith("dhn-dev-") for name in names)
    assert len(set(names)) == len(names)

    monkeypatch.setenv("DHN_RESOURCE_PREFIX", "dhn-dev-eu")
    assert all(model.Meta.table_name.startswith("dhn-dev-eu-") for model in schema.MODELS)


def test_the_connection_follows_the_new_name(monkeypatch: pytest.MonkeyPatch) -> None:
    (model, *_) = schema.MODELS
    before = model._get_connection().table_name
    monkeypatch.setenv("DHN_STAGE", "dev")
    monkeypatch.delenv("DHN_RESOURCE_PREFIX", raising=False)
    assert model._get_connection().table_name == model.Meta.table_name != before


def test_the_region_is_read_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert {model.Meta.region for model in schema.MODELS} == {"eu-west-1"}
