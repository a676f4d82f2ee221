import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh folder per test, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo(db):
    """The project's demo archive, loaded as `make run` loads it."""
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashers take ~0.5 s a user by design; tests do not need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
