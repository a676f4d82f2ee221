"""The settings module read from the environment, and the two views nice/ serves itself
(/healthz and /media/): bad values are refused, production passes `check --deploy`,
HTTPS sites send HSTS, and odd media paths are 404s."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from nice.settings import envbool, envint

BASE_DIR = settings.BASE_DIR


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Python in the project folder with only `env` set: the developer's shell leaks nothing in."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "nice.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def production(tmp_path) -> dict[str, str]:
    """What a production deployment sets (README, Dockerfile), on a throwaway SQLite file."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "nice.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECURE_SSL_REDIRECT": "true",
        # Password resets need a mail server: check --deploy refuses the console backend.
        "EMAIL_HOST": "smtp.example.org",
    }


# envbool and envint


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        ("YES", True),
        ("on", True),
        (" true ", True),
        ("0", False),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("Off", False),
    ],
)
def test_it_reads_the_accepted_boolean_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("NICE_TEST_FLAG", value)
    assert envbool("NICE_TEST_FLAG", not expected) is expected


def test_it_falls_back_to_the_default_when_a_boolean_is_unset(monkeypatch):
    monkeypatch.delenv("NICE_TEST_FLAG", raising=False)
    assert envbool("NICE_TEST_FLAG", True) is True
    assert envbool("NICE_TEST_FLAG", False) is False


@pytest.mark.parametrize("value", ["ture", "", "2", "enabled", "nope"])
def test_it_refuses_an_unknown_boolean(monkeypatch, value):
    monkeypatch.setenv("DEBUG", value)
    with pytest.raises(ImproperlyConfigured) as error:
        envbool("DEBUG", True)
    assert str(error.value) == (
        f"DEBUG={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off (any case)."
    )


def test_it_reads_an_integer(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "465")
    assert envint("EMAIL_PORT", 587) == 465
    monkeypatch.delenv("EMAIL_PORT")
    assert envint("EMAIL_PORT", 587) == 587


@pytest.mark.parametrize("value", ["abc", "", "5.5", "25 ports"])
def test_it_refuses_an_integer_it_cannot_read(monkeypatch, value):
    monkeypatch.setenv("EMAIL_PORT", value)
    with pytest.raises(ImproperlyConfigured) as error:
        envint("EMAIL_PORT", 587)
    assert str(error.value) == f"EMAIL_PORT={value!r} is not a whole number (the default is 587)."


def test_settings_with_a_misspelt_debug_do_not_load():
    result = run_python("-c", "import nice.settings", env={"DEBUG": "ture"})
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: DEBUG='ture' is not a boolean:"
        " use 1/0, true/false, yes/no or on/off (any case)."
    )


def test_settings_with_a_bad_email_port_do_not_load():
    result = run_python(
        "manage.py",
        "check",
        env={"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "abc"},
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured:"
        " EMAIL_PORT='abc' is not a whole number (the default is 587)."
    )


# check --deploy


def test_production_settings_pass_the_deploy_check(production):
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production)
    # W005 and W021 (HSTS subdomains and preload) are silenced in settings, with the reason.
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "System check identified no issues (2 silenced).\n",
        "",
    )


def test_production_without_a_mail_server_fails_the_deploy_check(production):
    del production["EMAIL_HOST"]
    result = run_python("manage.py", "check", "--deploy", env=production)
    assert result.returncode == 1
    assert (
        "?: (mail.E001) Your MAILERS setting uses a development-only email backend in the"
        " 'default' entry (django.core.mail.backends.console.EmailBackend)."
    ) in result.stderr


# HSTS

ONE_YEAR = "max-age=31536000"

# A real request through the real settings, as the environment makes them.
ASK_HEALTHZ_OVER_HTTPS = """
import django
django.setup()
from django.test import Client
response = Client(headers={"host": "127.0.0.1"}).head("/healthz", secure=True)
print(response.status_code, response.get("Strict-Transport-Security", "-"))
"""


def hsts_for(env: dict[str, str]) -> str:
    result = run_python("-W", "ignore", "-c", ASK_HEALTHZ_OVER_HTTPS, env=env)
    assert result.returncode == 0, result.stderr
    status, hsts = result.stdout.split(maxsplit=1)
    assert status == "200"
    return hsts.strip()


@pytest.mark.parametrize(
    "https",
    [
        {"SECURE_SSL_REDIRECT": "true"},
        {"BEHIND_HTTPS_PROXY": "true"},
        {"SECURE_COOKIES": "true"},
    ],
)
def test_it_sends_hsts_for_a_year_when_the_site_is_https(tmp_path, https):
    assert hsts_for({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **https}) == ONE_YEAR


def test_production_sends_hsts_for_a_year(production):
    assert hsts_for(production) == ONE_YEAR


def test_it_sends_no_hsts_when_nothing_says_https(production):
    # DEBUG=false turns secure cookies on by default; switched off, nothing says HTTPS.
    del production["SECURE_SSL_REDIRECT"]
    assert hsts_for({**production, "SECURE_COOKIES": "false"}) == "-"


def test_it_sends_no_hsts_locally(tmp_path):
    assert hsts_for({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}) == "-"


def test_an_explicit_hsts_duration_wins(production):
    assert hsts_for({**production, "SECURE_HSTS_SECONDS": "600"}) == "max-age=600"
    assert hsts_for({**production, "SECURE_HSTS_SECONDS": "0"}) == "-"


def test_it_includes_subdomains_and_preload_only_when_asked(production):
    asked = {"SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true"}
    assert hsts_for({**production, **asked}) == f"{ONE_YEAR}; includeSubDomains; preload"


def test_the_https_redirect_spares_the_health_check(client, settings):
    # Docker's health check asks http://127.0.0.1/healthz; a redirect to https:// fails it.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200


def test_the_https_redirect_covers_pages(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/nice/")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/nice/")


def test_hsts_goes_out_over_https_only(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/healthz", secure=True)["Strict-Transport-Security"] == ONE_YEAR
    assert "Strict-Transport-Security" not in client.get("/healthz")


# HEAD on the health check and the home page


def test_healthz_answers_head(client):
    response = client.head("/healthz")
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.django_db
def test_the_home_page_answers_head(client):
    response = client.head("/")
    assert (response.status_code, response.content) == (200, b"")
    assert response["Content-Type"] == "text/html; charset=utf-8"


# /media/


@pytest.fixture
def stored_file(media_root):
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / "poster.png").write_bytes(b"\x89PNG not really")
    return "poster.png"


def test_media_serves_a_stored_file(client, stored_file):
    response = client.get(f"/media/{stored_file}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG not really"
    assert response["Content-Type"] == "image/png"


def test_media_answers_head(client, stored_file):
    response = client.head(f"/media/{stored_file}")
    assert (response.status_code, response["Content-Length"]) == (200, "15")
    assert response["Content-Type"] == "image/png"


def test_media_refuses_a_post(client, stored_file):
    assert client.post(f"/media/{stored_file}").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "a" * 300 + ".png",
        "posters/" + "b" * 300,
        "/".join(["c" * 250] * 20),
        "a%00b.png",
        "%00",
        "poster.png%00.txt",
        "%C3%28.png",
        "%ED%A0%80.png",
        "missing.png",
        "",
        "posters/",
    ],
)
def test_media_answers_404_for_odd_or_missing_paths(client, stored_file, path):
    response = client.get(f"/media/{path}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["../nice/settings.py", "..%2F..%2Fetc/passwd", "%2E%2E/manage.py"]
)
def test_media_answers_400_for_a_path_out_of_media_root(client, stored_file, path):
    # Django's own answer to a traversal attempt, logged to django.security; never the file.
    response = client.get(f"/media/{path}")
    assert response.status_code == 400


@pytest.mark.django_db
def test_postgresql_connections_plan_for_memory_and_never_jit():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
