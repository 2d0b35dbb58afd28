"""Amazon's side of tests/msk_iam_token.rs, run with the tests' venv (tests/requirements.txt).

Reads one JSON object on stdin: {"region", "access_key", "secret_key", "session_token" (or
null), "date" ("YYYYMMDDTHHMMSSZ"), "token" (the token Switchyard made at that date)} and prints
{"official": the token aws-msk-iam-sasl-signer-python makes for the same credentials at the same
date, "official_expiry_ms": its expiry, "resigned": {"url": Switchyard's request signed again by
botocore's SigV4QueryAuth at the token's own X-Amz-Date, "canonical_request": botocore's
canonical request for it}}.
"""

import base64
import datetime
import json
import sys
from urllib.parse import parse_qsl, urlsplit

import botocore.auth
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import CredentialProvider, Credentials
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider


def at(date):
    """Makes botocore sign at `date` instead of now."""
    fixed = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda *args, **kwargs: fixed


class Fixed(CredentialProvider):
    METHOD = "tests"

    def __init__(self, credentials):
        super().__init__()
        self.credentials = credentials

    def load(self):
        return self.credentials


def main():
    given = json.load(sys.stdin)
    credentials = Credentials(
        given["access_key"], given["secret_key"], given["session_token"]
    )
    region = given["region"]

    at(given["date"])
    official, expiry_ms = (
        MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
            region, Fixed(credentials)
        )
    )

    # Switchyard's request, without what signing adds, signed again at its own date.
    padded = given["token"] + "=" * (-len(given["token"]) % 4)
    url = base64.urlsafe_b64decode(padded).decode("utf-8")
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    at(params["X-Amz-Date"])
    unsigned = {
        k: v
        for k, v in params.items()
        if not k.startswith("X-Amz-") and k != "User-Agent"
    }
    request = AWSRequest(
        method="GET", url=f"{parts.scheme}://{parts.netloc}{parts.path}", params=unsigned
    )
    auth = SigV4QueryAuth(
        credentials, "kafka-cluster", region, expires=int(params["X-Amz-Expires"])
    )
    auth.add_auth(request)
    json.dump(
        {
            "official": official,
            "official_expiry_ms": expiry_ms,
            "resigned": request.prepare().url,
        },
        sys.stdout,
    )


main()
