# Runs Kognic's Python CLIs (`kognic-auth` and `kog`) on many command lines in one process, so
# that the CLI interop suite needs one Python start per run instead of one per invocation.
# Reads a JSON array of {"tool": "kog"|"kognic-auth", "args": [...], "env": {...}} on stdin and
# writes a JSON array of {"code", "stdout", "stderr"} to stdout. Test-only.
import io
import json
import logging
import os
import sys

from kognic.auth.cli import main as kognic_auth_main
from kognic.auth.cli.api_request import main as kog_main


def run(case):
    saved_env = dict(os.environ)
    os.environ.update(case.get("env", {}))
    for name in case.get("unset", []):
        os.environ.pop(name, None)
    out, err = io.StringIO(), io.StringIO()
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        try:
            code = (kog_main if case["tool"] == "kog" else kognic_auth_main)(case["args"])
        except SystemExit as exit:
            code = exit.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        os.environ.clear()
        os.environ.update(saved_env)
        logging.getLogger("kognic.auth").handlers.clear()
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


cases = json.load(sys.stdin)
sys.stdout.write(json.dumps([run(case) for case in cases]))
