"""Gets a token from canvas-credential-broker, for teams whose DAP tooling is Python.

The broker's API is IAM-authenticated: the request is signed with SigV4 (service `execute-api`)
under the caller's own AWS identity, found by botocore's default chain (environment, profile, SSO,
a role, instance metadata). The caller must be granted the route (CredentialBroker.grantTokenAccess)
and listed in the broker's caller policy.

    pip install botocore
    BROKER_ENDPOINT=https://<api-id>.execute-api.<region>.amazonaws.com/prod python get_token.py dap

Prints the token's fingerprint and remaining life; use `answer["token"]` as the Bearer value of
your Instructure calls and never log it.
"""

import json
import os
import re
import sys
import urllib.error
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def get_token(endpoint: str, credential_id: str, min_ttl_seconds: int = 0) -> dict:
    region = os.environ.get("AWS_REGION") or _region_of(endpoint)
    url = f"{endpoint.rstrip('/')}/v1/credentials/{credential_id}/token"
    body = json.dumps({"minTtlSeconds": min_ttl_seconds})
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign the request with")
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
    prepared = urllib.request.Request(
        url, data=body.encode(), headers=dict(request.headers.items()), method="POST"
    )
    try:
        # A deadline on every call: API Gateway itself gives up after 29 s.
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        # The broker's errors are {"error": {"code", "message", "requestId"}}; they carry no secret.
        detail = error.read().decode(errors="replace")[:300]
        raise RuntimeError(f"broker answered HTTP {error.code}: {detail}") from None


def _region_of(endpoint: str) -> str:
    match = re.search(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com", endpoint)
    if match is None:
        raise RuntimeError("set AWS_REGION: the endpoint is not an execute-api host")
    return match.group(1)


if __name__ == "__main__":
    answer = get_token(os.environ["BROKER_ENDPOINT"], sys.argv[1] if len(sys.argv) > 1 else "dap", 300)
    print(f"got a {answer['kind']} token {answer['fingerprint']}, {answer['expiresIn']} s left")
