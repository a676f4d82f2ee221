"""The production compose file (no Docker engine here to run it): it must say what the
app reads, run commands that exist, and keep the app's state outside its containers."""

import re
from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SETTINGS_SOURCE = (ROOT / "nice" / "settings.py").read_text()


def test_it_runs_web_and_worker_on_postgresql_and_redis():
    services = COMPOSE["services"]
    assert set(services) == {"web", "worker", "db", "redis"}
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:")
    web, worker = services["web"], services["worker"]
    assert web["build"] == worker["build"] == "."
    assert web["environment"] == worker["environment"]  # one app, two roles
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert {"db", "redis"} <= set(web["depends_on"])
    assert worker["depends_on"]["web"]["condition"] == "service_healthy"  # migrated first


def test_every_variable_it_sets_is_one_the_settings_read():
    read = set(re.findall(r'env\w*\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))
    read |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))
    assert set(COMPOSE["services"]["web"]["environment"]) - read == set()


def test_the_worker_runs_a_command_the_app_has():
    command = COMPOSE["services"]["worker"]["command"]
    assert command[:2] == ["python", "manage.py"]
    assert command[2] in get_commands()


def test_uploads_and_the_database_live_in_volumes():
    assert "media:/app/media" in COMPOSE["services"]["web"]["volumes"]
    assert COMPOSE["services"]["worker"]["volumes"] == COMPOSE["services"]["web"]["volumes"]
    assert set(COMPOSE["volumes"]) == {"media", "postgres"}
