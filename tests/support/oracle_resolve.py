# Resolves many credential cases in ONE Python process with Kognic's `kognic-auth` (the oracle),
# for the resolution matrix of tests/conformance/interop_resolve_test.ts. Test-only.
#
# stdin: {"cases": [{"env": {...}, "auth": ..., "authKind": "tuple"|"value"|null,
#                    "clientId": ..., "clientSecret": ..., "keyring": bool}]}
# stdout: one JSON list, per case {"ok": {...}} or {"error": "<exception type>"}.
# Each case runs with exactly its environment (plus PATH, HOME and, with "keyring", the D-Bus
# address) and what RequestsAuthSession does on construction: resolve, then the expiry check.
import json
import os
import sys

import keyring
import keyring.backends.fail
import keyring.backends.SecretService

from kognic.auth.credentials_parser import _check_expiry, _resolve_credentials

request = json.load(sys.stdin)
base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
results = []
for case in request["cases"]:
    os.environ.clear()
    os.environ.update(base)
    os.environ.update(case.get("env", {}))
    if case.get("keyring") and bus:
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus
        keyring.set_keyring(keyring.backends.SecretService.Keyring())
    else:
        keyring.set_keyring(keyring.backends.fail.Keyring())
    auth = case.get("auth")
    if case.get("authKind") == "tuple":
        auth = tuple(auth)
    try:
        creds = _resolve_credentials(auth, case.get("clientId"), case.get("clientSecret"))
        if creds is None:
            results.append({"error": "None"})
            continue
        _check_expiry(creds)
        results.append(
            {
                "ok": {
                    "clientId": creds.client_id,
                    "clientSecret": creds.client_secret,
                    "scopes": creds.scopes if isinstance(creds.scopes, list) else repr(creds.scopes),
                }
            }
        )
    except Exception as error:  # what the user would see raised
        results.append({"error": type(error).__name__})
print(json.dumps(results))
