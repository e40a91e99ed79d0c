"""directus-py-sdk 1.2.0 (PyPI) through its public API: DirectusClient, DirectusQueryBuilder, DOp,
SQLToDirectusConverter.

Its requests go through make_request_with_retry: with a login (not a static token) every request first calls
refresh(), so the refresh-token rotation is exercised on each call; 401/403/5xx answers are retried after 1 s and 2 s.
"""
import sys

import directus_py_sdk.main as sdk
from directus_py_sdk.exceptions import DirectusAuthError

import harness
import sdk_fork
from harness import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, URL, eq


def auth(s):
    with s.step("login with email and password (the constructor)", critical=True):
        client = sdk.DirectusClient(URL, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        assert client.temporary_token and client.refresh_token, "tokens after login"
    with s.step("me() (each request refreshes the tokens first)"):
        eq(client.me()["email"], ADMIN_EMAIL, "me().email")
    with s.step("refresh() rotates the refresh token; the used one is refused"):
        old = client.refresh_token
        data = client.refresh()
        assert data["access_token"] and data["refresh_token"] and data["refresh_token"] != old, data
        eq(client.me()["email"], ADMIN_EMAIL, "me() with the new access token")
        try:
            client.refresh(old)
            raise AssertionError("a used refresh token was accepted")
        except DirectusAuthError:
            eq(sdk_fork.last_status(), 401, "refresh with a used token")
    with s.step("logout() ends the session: its refresh token is refused afterwards"):
        token = client.refresh_token
        client.logout()
        eq(client.temporary_token, None, "access token after logout")
        try:
            client.refresh(token)
            raise AssertionError("the refresh token still works after logout")
        except DirectusAuthError:
            eq(sdk_fork.last_status(), 401, "refresh after logout")
    with s.step("a static token"):
        eq(sdk.DirectusClient(URL, token=ADMIN_TOKEN).me()["email"], ADMIN_EMAIL, "me().email")
    with s.step("a wrong password raises DirectusAuthError"):
        try:
            sdk.DirectusClient(URL, email=ADMIN_EMAIL, password="wrong-password")
            raise AssertionError("login with a wrong password succeeded")
        except DirectusAuthError:
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
