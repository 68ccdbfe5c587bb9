//! Test helpers: a tiny, independent RPC v1 client signer and HTTP helpers.
#![allow(dead_code)]

use alicred_fakecloud::{FakeCloud, FakeCloudConfig, FakeCloudHandle};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::Value;
use std::time::Duration;

/// Credentials used to sign a request.
#[derive(Clone)]
pub struct Creds {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl Creds {
    pub fn new(id: &str, secret: &str) -> Self {
        Creds {
            id: id.into(),
            secret: secret.into(),
            token: None,
        }
    }

    pub fn from_sts(v: &Value) -> Self {
        let c = &v["Credentials"];
        Creds {
            id: c["AccessKeyId"].as_str().expect("AccessKeyId").into(),
            secret: c["AccessKeySecret"].as_str().expect("secret").into(),
            token: Some(c["SecurityToken"].as_str().expect("token").into()),
        }
    }

    pub fn from_json(v: &Value) -> Self {
        Creds {
            id: v["AccessKeyId"].as_str().expect("AccessKeyId").into(),
            secret: v["AccessKeySecret"].as_str().expect("secret").into(),
            token: v["SecurityToken"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(Into::into),
        }
    }
}

pub async fn start() -> FakeCloudHandle {
    FakeCloud::start(FakeCloudConfig::demo())
        .await
        .expect("fakecloud starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// RFC 3986 encoding, byte by byte (deliberately not the library's implementation).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let q: Vec<String> = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    format!("{method}&%2F&{}", enc(&q.join("&")))
}

pub fn hmac_sign(secret: &str, sts: &str) -> String {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("hmac key");
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn now_ts() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Common + action parameters, signed with HMAC-SHA1 (no `Signature` yet if `creds` is None).
pub fn signed(
    method: &str,
    version: &str,
    action: &str,
    extra: &[(&str, &str)],
    creds: Option<&Creds>,
) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), version.into()),
        ("Format".into(), "JSON".into()),
        ("Timestamp".into(), now_ts()),
        ("SignatureNonce".into(), nonce()),
    ];
    for (k, v) in extra {
        p.push(((*k).into(), (*v).into()));
    }
    if let Some(c) = creds {
        p.push(("AccessKeyId".into(), c.id.clone()));
        p.push(("SignatureMethod".into(), "HMAC-SHA1".into()));
        p.push(("SignatureVersion".into(), "1.0".into()));
        if let Some(t) = &c.token {
            p.push(("SecurityToken".into(), t.clone()));
        }
        let sig = hmac_sign(&c.secret, &string_to_sign(method, &p));
        p.push(("Signature".into(), sig));
    }
    p
}

pub fn query(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sends already-built parameters with GET (query) and returns (status, JSON body).
pub async fn get_raw(url: &str, params: &[(String, String)]) -> (u16, Value) {
    let resp = client()
        .get(format!("{url}?{}", query(params)))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

/// Sends parameters as a POST form body.
pub async fn post_raw(url: &str, params: &[(String, String)]) -> (u16, Value) {
    let resp = client()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query(params))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

pub async fn sts(url: &str, action: &str, extra: &[(&str, &str)], c: &Creds) -> (u16, Value) {
    get_raw(url, &signed("GET", "2015-04-01", action, extra, Some(c))).await
}

pub async fn ram(url: &str, action: &str, extra: &[(&str, &str)], c: &Creds) -> (u16, Value) {
    post_raw(url, &signed("POST", "2015-05-01", action, extra, Some(c))).await
}

pub async fn admin_post(cloud: &FakeCloudHandle, path: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .post(format!("{}{path}", cloud.admin_url()))
        .json(&body)
        .send()
        .await
        .expect("admin request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("admin json"))
}

pub async fn admin_get(cloud: &FakeCloudHandle, path: &str) -> (u16, Value) {
    let resp = client()
        .get(format!("{}{path}", cloud.admin_url()))
        .send()
        .await
        .expect("admin request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("admin json"))
}

pub fn alice(cloud: &FakeCloudHandle) -> Creds {
    let a = &cloud.demo().expect("demo").alice;
    Creds::new(&a.access_key_id, &a.access_key_secret)
}

pub fn assert_error_shape(body: &Value, code: &str) {
    assert_eq!(body["Code"], code, "body: {body}");
    for field in ["Message", "RequestId", "HostId", "Recommend"] {
        assert!(body[field].is_string(), "{field} missing in {body}");
    }
}
