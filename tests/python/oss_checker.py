"""An independent OSS V4 signature checker (docs/protocols.md, "OSS signing"), used as the "bucket"
that oss2 and alibabacloud-oss-v2 talk to. It learns each AccessKey's secret
from the emulator's record of what it issued, recomputes the signature from
the request it received, and answers 200 only when it matches and the request
carries exactly the security token issued with that key (none for a
long-term key)."""

import hashlib
import hmac
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIGNED_DEFAULT = ("content-type", "content-md5")


def _uri_encode(s, keep_slash):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)


def signing_key(secret, date, region, product="oss"):
    k = hmac.new(("aliyun_v4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, product, "aliyun_v4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def expected_signature(method, raw_path, query, headers, secret, additional=()):
    """headers: dict with lowercase names."""
    path = urllib.parse.unquote(raw_path)
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    canon_query = "&".join(
        f"{k}={v}" if v else k
        for k, v in sorted((_uri_encode(k, False), _uri_encode(v, False)) for k, v in params)
    )
    signed = sorted((k, v) for k, v in headers.items() if k.startswith("x-oss-") or k in SIGNED_DEFAULT or k in additional)
    canon_headers = "".join(f"{k}:{v.strip()}\n" for k, v in signed)
    canonical = "\n".join([
        method,
        _uri_encode(path, True),
        canon_query,
        canon_headers,
        ";".join(sorted(additional)),
        headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
    ])
    auth = headers["authorization"]
    cred = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    _akid, date, region, product, _ = cred.split("/")
    dt = headers["x-oss-date"]
    sts = "\n".join(["OSS4-HMAC-SHA256", dt, f"{date}/{region}/{product}/aliyun_v4_request", hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(signing_key(secret, date, region, product), sts.encode(), hashlib.sha256).hexdigest()


class OssChecker:
    def __init__(self, issued_for):
        """issued_for(access_key_id) -> (secret, security_token or None), or None."""
        self.issued_for = issued_for
        self.seen = []  # (access_key_id, ok)
        checker = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                h = {k.lower(): v for k, v in self.headers.items()}
                path, _, query = self.path.partition("?")
                auth = h.get("authorization", "")
                ok, akid = False, ""
                if auth.startswith("OSS4-HMAC-SHA256 "):
                    akid = auth.split("Credential=", 1)[1].split("/", 1)[0]
                    issued = checker.issued_for(akid)
                    secret = None
                    if issued is not None and (issued[1] or None) == (h.get("x-oss-security-token") or None):
                        secret = issued[0]
                    got = auth.split("Signature=", 1)[1].split(",", 1)[0].strip() if "Signature=" in auth else ""
                    additional = ()
                    if "AdditionalHeaders=" in auth:
                        additional = tuple(auth.split("AdditionalHeaders=", 1)[1].split(","))[0].split(";")
                    ok = bool(secret) and hmac.compare_digest(got, expected_signature("GET", path, query, h, secret, additional))
                checker.seen.append((akid, ok))
                if ok:
                    body = b"hello from a verified request"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("x-oss-request-id", "checker")
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>'
                            b'<Message>checker: signature mismatch</Message><RequestId>checker</RequestId></Error>')
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("x-oss-request-id", "checker")
                    self.end_headers()
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
