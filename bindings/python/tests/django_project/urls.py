from __future__ import annotations

from django.urls import include, path

from layer_identity import Signer
from layer_identity.django import identity_token_urls
from tests import kinds

signer = Signer.from_env()

urlpatterns = [
    # The README's recipe: the user of request.user.
    path("layer/", include(identity_token_urls(signer))),
    *(
        path(f"{mode}-{kind}/", include(identity_token_urls(signer, function)))
        for mode, functions in (("sync", kinds.SYNC), ("async", kinds.ASYNC))
        for kind, function in functions.items()
    ),
]
