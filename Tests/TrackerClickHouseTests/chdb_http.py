"""ClickHouse's HTTP interface in front of chDB (the current ClickHouse engine, embedded), for the
tests of the ClickHouse store against a modern server: no current clickhouse-server installs on
these machines (../shared/infra/services.md §1b), chDB does from PyPI (`chdb-core`).

    python3 chdb_http.py DATA_DIR PORT

What tracker's client uses: `?query=` and/or a statement in the body, gzip bodies, `FORMAT X`
answers, `INSERT ... FORMAT RowBinary|JSONEachRow` with the rows as the body (written to a file
and read back with `file()`, since chDB takes statements as text), settings in the URL. Errors
answer 500 with ClickHouse's `Code: N. DB::Exception` text, as the server does. Queries run one at
a time (chDB's session is not thread-safe); auth is not checked.
"""
import gzip
import os
import re
import sys
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chdb import session

SESSION = session.Session(sys.argv[1])
LOCK = threading.Lock()
INSERT = re.compile(r"^\s*INSERT\s+INTO\s+([\w.]+)\s*(?:\(([^)]*)\))?\s*FORMAT\s+(\w+)\s*$", re.I | re.S)
FORMAT = re.compile(r"\s+FORMAT\s+(\w+)\s*;?\s*$", re.I)
SETTINGS = {"output_format_json_quote_64bit_integers"}


def structure(table, columns):
    described = SESSION.query("DESCRIBE TABLE %s" % table, "TabSeparated").bytes().decode()
    types = {}
    for line in described.splitlines():
        name, kind = line.split("\t")[:2]
        types[name] = kind
    names = [c.strip() for c in columns.split(",")] if columns else list(types)
    return ", ".join("%s %s" % (name, types[name]) for name in names), ", ".join(names)


def run(sql, data, settings):
    insert = INSERT.match(sql)
    if insert and data:
        table, columns, form = insert.groups()
        shape, names = structure(table, columns)
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(data)
        try:
            SESSION.query("INSERT INTO %s (%s) SELECT * FROM file('%s', '%s', '%s')" % (table, names, f.name, form, shape))
        finally:
            os.unlink(f.name)
        return b""
    form = "TabSeparated"
    found = FORMAT.search(sql)
    if found:
        form, sql = found.group(1), sql[:found.start()]
    chosen = ["%s = %s" % (k, v) for k, v in settings.items() if k in SETTINGS and re.fullmatch(r"\w+", v)]
    if chosen and re.match(r"\s*(SELECT|WITH)\b", sql, re.I):
        sql += " SETTINGS " + ", ".join(chosen)
    return SESSION.query(sql, form).bytes()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, body=b""):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/ping":
            return self.send(200, b"Ok.\n")
        params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        query = params.pop("query", "")
        sql, data = (query, body) if query else (body.decode(), b"")
        try:
            with LOCK:
                self.send(200, run(sql, data, params))
        except Exception as error:
            self.send(500, (str(error).strip() + "\n").encode())

    def send(self, code, data):
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()
