"""``make bench`` / ``python -m bench [--quick] [--only KEYS] [--server gunicorn|granian]``:
our IdP (production mode, 2 workers, PostgreSQL, Redis) against panva's oidc-provider (2 cluster
workers, Redis) on loopback, same run, same load generator; prints ours, the peer's and the
ratio per workload, checks issue 9's targets (reported, never failing the command) and writes
JSON, a text report and a PNG chart under bench/results/<UTC time>/.

The older in-process micro benchmark (Flask test client, no sockets) is ``python -m
bench.inprocess``; the roster import benchmark ``python -m bench.roster``.
"""

import sys

from .run import main

sys.exit(main())
