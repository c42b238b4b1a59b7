"""Exit 0 when the PostgreSQL server of the given URL accepts a connection."""
import sys
from urllib.parse import urlsplit

import psycopg

url = urlsplit(sys.argv[1])
try:
    psycopg.connect(
        host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
        dbname="postgres", connect_timeout=3,
    ).close()
except psycopg.Error:
    sys.exit(1)
