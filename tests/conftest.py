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


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test starts with an empty cache of its own (pages, arXiv answers), in memory:
    the file cache of settings.py would be shared with other test runs on the machine."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    }
    cache.clear()


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    """Counts a page's own queries. The content version of the page cache
    (nice.pagecache) costs one query after each write, for the next request
    whatever it is; it is looked up first and tested on its own."""
    from nice import pagecache

    def counting(*args, **kwargs):
        pagecache.current_version()
        return django_assert_num_queries(*args, **kwargs)

    return counting


@pytest.fixture
def arxiv(settings):
    """The arXiv API, answered from recorded responses on loopback."""
    from tests.arxiv_server import RecordedArxiv

    with RecordedArxiv() as server:
        settings.ARXIV_API_URL = server.url
        yield server


@pytest.fixture
def arxiv_down(settings):
    from tests.arxiv_server import unreachable_url

    settings.ARXIV_API_URL = unreachable_url()


@pytest.fixture
def admin_client(client, db):
    """A superuser's client (tests/test_admin.py has its own)."""
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("admin", "a@example.org", "x"))
    return client


@pytest.fixture
def organizer_client(client, db):
    """The client of an organizer of a new series ("nice")."""
    from django.contrib.auth.models import User

    from tests.factories import make_series

    series = make_series()
    user = User.objects.create_user("organizer")
    series.organizers.add(user)
    client.force_login(user)
    return client


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; Django's mail goes to it during the test."""
    from tests.mail_server import MailServer

    with MailServer() as server:
        settings.MAILERS = server.mailer_settings()
        yield server
