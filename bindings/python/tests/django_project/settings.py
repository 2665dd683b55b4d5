"""A Django project that mounts the identity-token view: the README's recipe at /layer/ (with
``request.user``), and each kind of authenticate at /sync-<kind>/ and /async-<kind>/."""

from __future__ import annotations

import os
import tempfile

SECRET_KEY = "layer-identity tests, not a secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.django_project.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get(
            "LAYER_TEST_DJANGO_DB", os.path.join(tempfile.gettempdir(), "layer-identity-django.db")
        ),
    }
}
USE_TZ = True
LOGGING_CONFIG = None  # the tests' own logging
