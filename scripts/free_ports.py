"""Print free TCP ports on 127.0.0.1, as many as asked (two by default), for the servers
the CI scripts start (smoke-ci.sh, client-test.sh). All are held open until all are
chosen, so no two are the same."""

import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 2
sockets = [socket.socket() for _ in range(count)]
for held in sockets:
    held.bind(("127.0.0.1", 0))
print(*(held.getsockname()[1] for held in sockets))
for held in sockets:
    held.close()
