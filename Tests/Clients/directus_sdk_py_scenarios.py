"""directus-sdk-py 1.1.0 (PyPI), a fork of directus-py-sdk, through its public API. Its wheel also carries an old
`directus_py_sdk` package, so it has a virtual environment of its own. It differs from directus-py-sdk in:
no retries and no refresh before each request; login() returns {"errors": message} instead of raising; refresh()
sends the refresh token it is given (none by default: Directus then answers 400); get() raises when the answer's
text contains "errors".
"""
import sys

import directus_sdk_py.main as sdk

import harness
import sdk_fork
from harness import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, URL, eq


def auth(s):
    with s.step("login with email and password (the constructor)", critical=True):
        client = sdk.DirectusClient(URL, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        assert client.temporary_token and client.refresh_token, "tokens after login"
    with s.step("me()"):
        eq(client.me()["email"], ADMIN_EMAIL, "me().email")
    with s.step("refresh() without an argument sends refresh_token: null, which Directus refuses with 400"):
        # The client's bug: refresh(refresh_token=None) does not fall back to the token it holds.
        try:
            client.refresh()
            raise AssertionError("a refresh without a token was accepted")
        except Exception:  # noqa: BLE001 — the client raises a bare Exception with the answer
            eq(sdk_fork.last_status(), 400, "refresh without a token")
    with s.step("refresh(token) rotates the refresh token; the used one is refused"):
        old = client.refresh_token
        data = client.refresh(old)
        assert data["access_token"] and data["refresh_token"] != old, data
        eq(client.me()["email"], ADMIN_EMAIL, "me() with the new access token")
        try:
            client.refresh(old)
            raise AssertionError("a used refresh token was accepted")
        except Exception:  # noqa: BLE001
            eq(sdk_fork.last_status(), 401, "refresh with a used token")
    with s.step("logout() ends the session: its refresh token is refused afterwards"):
        token = client.refresh_token
        client.logout()
        eq(sdk_fork.last_status(), 204, "logout")
        try:
            client.refresh(token)
            raise AssertionError("the refresh token still works after logout")
        except Exception:  # noqa: BLE001
            eq(sdk_fork.last_status(), 401, "refresh after logout")
    with s.step("a static token"):
        eq(sdk.DirectusClient(URL, token=ADMIN_TOKEN).me()["email"], ADMIN_EMAIL, "me().email")
    with s.step("a wrong password: login() returns the error message"):
        result = sdk.DirectusClient(URL).login(ADMIN_EMAIL, "wrong-password")
        assert isinstance(result, dict) and result.get("errors"), result
        eq(sdk_fork.last_status(), 401, "login with a wrong password")


def logged_in():
    return sdk.DirectusClient(URL, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)


def static():
    return sdk.DirectusClient(URL, token=ADMIN_TOKEN)


if __name__ == "__main__":
    harness.record_requests_traffic()
    sys.exit(harness.run({
        "auth": auth,
        "schema": lambda s: sdk_fork.schema(sdk, s),
        "items": lambda s: sdk_fork.items(sdk, s, logged_in()),
        "queries": lambda s: sdk_fork.queries(sdk, s, static()),
        "files": lambda s: sdk_fork.files(sdk, s, static(), lambda: {"Authorization": f"Bearer {ADMIN_TOKEN}"}),
        "users": lambda s: sdk_fork.users(sdk, s, logged_in()),
    }))
