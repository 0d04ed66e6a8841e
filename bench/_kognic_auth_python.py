# Kognic's own Python client (kognic-auth, the requests-based BaseApiClient) against the test
# server at KOGNIC_BENCH_URL, for bench/main.ts. Credentials from KOGNIC_CLIENT_ID and
# KOGNIC_CLIENT_SECRET; the package from PYTHONPATH (KOGNIC_AUTH_ORACLE). Bench-only code.
#   cold                  one authenticated request, then prints "ok"
#   hot TURNS ROUNDS      a warm-up request, then ROUNDS rounds of TURNS requests one after
#                         another; prints the median µs per request of each round as JSON
import json
import os
import statistics
import sys
import time

from kognic.auth.requests.base_client import BaseApiClient

base = os.environ["KOGNIC_BENCH_URL"]
client = BaseApiClient(
    auth=(os.environ["KOGNIC_CLIENT_ID"], os.environ["KOGNIC_CLIENT_SECRET"]),
    auth_host=base,
)
url = base + "/v1/items"
session = client.session
if sys.argv[1] == "cold":
    response = session.get(url, headers={"Accept": "application/json"})
    response.content
    print("ok" if response.status_code == 200 else f"status {response.status_code}", flush=True)
else:
    turns, rounds = int(sys.argv[2]), int(sys.argv[3])
    session.get(url).content
    medians = []
    for _ in range(rounds):
        times = []
        for _ in range(turns):
            start = time.perf_counter()
            response = session.get(url, headers={"Accept": "application/json"})
            response.content
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                sys.exit(f"status {response.status_code}")
        medians.append(statistics.median(times) * 1e6)
    print(json.dumps(medians), flush=True)
