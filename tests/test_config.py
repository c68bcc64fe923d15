"""Configuration from the environment, table-driven."""

from __future__ import annotations

import pytest

from shared import config


@pytest.mark.parametrize(
    "given,expected",
    [
        ("postgresql+asyncpg://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql+psycopg2://u:p@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_are_mapped_to_the_driver_used(given, expected):
    assert config.normalise_database_url(given) == expected


@pytest.mark.parametrize("bad", ["mysql://u:p@h/d", "not a url", "oracle+cx://x"])
def test_unsupported_database_urls_name_the_variable(bad):
    with pytest.raises(config.ConfigError, match="DATABASE_URL"):
        config.normalise_database_url(bad)


@pytest.mark.parametrize(
    "url,redacted",
    [
        ("postgresql://user:pa55@host:5432/db", "postgresql://user:***@host:5432/db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
    ],
)
def test_redact_url_hides_passwords(url, redacted):
    assert config.redact_url(url) == redacted


def test_defaults_are_the_readme_ones(tmp_path):
    cfg = config.load({"DATA_DIR": str(tmp_path)})
    assert (cfg.mode, cfg.web_port, cfg.coms_port, cfg.worker_concurrency) == ("server", 8000, 19443, 10)
    assert cfg.database_url == f"sqlite:///{tmp_path}/onlinetracker.db" and cfg.embedded


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = config.load({"DATA_DIR": str(tmp_path)}).secret_key
    assert len(first) >= 32 and (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert config.load({"DATA_DIR": str(tmp_path)}).secret_key == first
    assert config.load({"DATA_DIR": str(tmp_path), "SECRET_KEY": "given"}).secret_key == b"given"


@pytest.mark.parametrize(
    "name,value", [("WEB_PORT", "http"), ("WEB_PORT", "70000"), ("WORKER_CONCURRENCY", "0")]
)
def test_bad_numbers_name_the_variable(tmp_path, name, value):
    with pytest.raises(config.ConfigError, match=name):
        config.load({"DATA_DIR": str(tmp_path), name: value})
