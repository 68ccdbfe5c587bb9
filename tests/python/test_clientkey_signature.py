"""A request alicred signed with a KMS ClientKey (SHA256withRSA), checked by an
independent verifier: Python `cryptography` with the fixture's public key.

alicred's kms-secret profile points at a local listener that records each
request and passes it on to the emulator (so alicred gets real answers). The
listener's record is then verified here, from the raw query/body: the
StringToSign is rebuilt per docs/protocols.md ("RPC signature") with urllib, and the signature is
checked with RSA PKCS#1 v1.5 / SHA-256."""

import base64
import json
import pathlib
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "clientkey"


class Recorder:
    """A pass-through HTTP listener: records (method, path, query, body) and
    forwards the request to `upstream`."""

    def __init__(self, upstream):
        self.seen = []
        rec = self
        session = requests.Session()
        session.trust_env = False

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _pass(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                path, _, query = self.path.partition("?")
                rec.seen.append((self.command, path, query, body.decode()))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                r = session.request(self.command, upstream + self.path, data=body, headers=headers, timeout=10)
                self.send_response(r.status_code)
                for k, v in r.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = _pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def string_to_sign(method, params):
    canon = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in params if k != "Signature"))
    return f"{method.upper()}&%2F&{_enc(canon)}"


def verify(public_key, method, params):
    sig = base64.b64decode(dict(params)["Signature"])
    public_key.verify(sig, string_to_sign(method, params).encode(), padding.PKCS1v15(), hashes.SHA256())


def test_a_clientkey_request_alicred_signed_verifies_with_cryptography(alicred, cloud):
    public_key = serialization.load_pem_public_key((FIXTURES / "public.pem").read_bytes())
    demo = cloud.admin("/demo")
    rec = Recorder(cloud.base)
    try:
        alicred.add("ck", "kms-secret", "--secret-name", demo["kms_secret_name"],
                    "--client-key-file", str(FIXTURES / "clientKey_demo.json"),
                    "--client-key-password-file", str(FIXTURES / "clientKey_demo_password.txt"),
                    "--kms-endpoint", f"{rec.url}/kms")
        got = json.loads(alicred.run("creds", "ck", "--json", prints_secrets=True).stdout)
    finally:
        rec.close()
    # The emulator accepted it and alicred got the key the secret holds.
    kms_keys = [c["access_key_id"] for c in cloud.issued_record()]
    assert got["AccessKeyId"] in kms_keys, got["AccessKeyId"]

    signed = []
    for method, path, query, body in rec.seen:
        params = urllib.parse.parse_qsl(query, keep_blank_values=True) + urllib.parse.parse_qsl(body, keep_blank_values=True)
        if dict(params).get("SignatureMethod") == "SHA256withRSA":
            signed.append((method, path, params))
    assert signed, f"no SHA256withRSA request among {[(m, p) for m, p, *_ in rec.seen]}"
    for method, path, params in signed:
        d = dict(params)
        assert path == "/kms" and d["AccessKeyId"] == "KAAP.demo-client-key"
        assert d["SignatureType"] == "PRIVATEKEY" and d["SignatureVersion"] == "1.0"
        verify(public_key, method, params)  # raises InvalidSignature on a mismatch
        # The verifier is not a rubber stamp: one changed parameter fails it.
        tampered = [(k, v + "x" if k == "SecretName" else v) for k, v in params]
        with pytest.raises(InvalidSignature):
            verify(public_key, method, tampered)
