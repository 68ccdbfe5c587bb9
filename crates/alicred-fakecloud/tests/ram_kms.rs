//! RAM AccessKey management and KMS (ClientKey-signed) over real HTTP.

mod common;

use base64::Engine as _;
use common::*;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::Value;

#[tokio::test]
async fn two_key_limit_and_key_lifecycle() {
    let cloud = start().await;
    let a = alice(&cloud);
    let url = cloud.ram_url();
    let (status, created) = ram(&url, "CreateAccessKey", &[], &a).await;
    assert_eq!(status, 200, "{created}");
    let new_key = Creds::from_json(&created["AccessKey"]);
    assert_eq!(created["AccessKey"]["Status"], "Active");
    assert!(created["AccessKey"]["CreateDate"].is_string());

    let (status, body) = ram(&url, "CreateAccessKey", &[], &a).await;
    assert_eq!(status, 409);
    assert_error_shape(&body, "LimitExceeded.User.AccessKey");

    // The new key really works.
    let (status, who) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &new_key).await;
    assert_eq!(
        (status, who["Arn"].as_str()),
        (200, Some("acs:ram::1234567890123456:user/alice"))
    );

    let (_, list) = ram(&url, "ListAccessKeys", &[("UserName", "alice")], &a).await;
    let keys = list["AccessKeys"]["AccessKey"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(keys.len(), 2);

    let (status, _) = ram(
        &url,
        "UpdateAccessKey",
        &[("UserAccessKeyId", &a.id), ("Status", "Inactive")],
        &new_key,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &a).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (403, Some("InvalidAccessKeyId.Inactive"))
    );
    let listed = cloud.list_access_keys(Some("alice")).expect("admin list");
    assert!(
        listed
            .iter()
            .any(|k| k.access_key_id == a.id && k.status == alicred_fakecloud::KeyStatus::Inactive)
    );

    let (status, body) = ram(
        &url,
        "UpdateAccessKey",
        &[("UserAccessKeyId", &a.id), ("Status", "Sleeping")],
        &new_key,
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidParameter.Status"))
    );

    // IMS GetAccessKeyLastUsed on the RAM prefix.
    let p = signed(
        "POST",
        "2019-08-15",
        "GetAccessKeyLastUsed",
        &[("UserAccessKeyId", &new_key.id)],
        Some(&new_key),
    );
    let (status, body) = post_raw(&url, &p).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["AccessKeyLastUsed"]["LastUsedDate"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );

    let (status, _) = ram(
        &url,
        "DeleteAccessKey",
        &[("UserAccessKeyId", &a.id)],
        &new_key,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &a).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("InvalidAccessKeyId.NotFound"))
    );
    let (status, body) = ram(
        &url,
        "DeleteAccessKey",
        &[("UserAccessKeyId", "LTAI5tNope")],
        &new_key,
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("EntityNotExist.User.AccessKey"))
    );
    let (status, body) = ram(&url, "ListAccessKeys", &[("UserName", "nobody")], &new_key).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("EntityNotExist.User"))
    );
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/clientkey/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).expect("fixture")
}

/// Signs KMS parameters with the fixture ClientKey (SHA256withRSA).
fn client_key_signed(action: &str, extra: &[(&str, &str)], tamper: bool) -> Vec<(String, String)> {
    let mut p = signed("POST", "2016-01-20", action, extra, None);
    p.push(("AccessKeyId".into(), "KAAP.demo-client-key".into()));
    p.push(("SignatureMethod".into(), "SHA256withRSA".into()));
    p.push(("SignatureType".into(), "PRIVATEKEY".into()));
    p.push(("SignatureVersion".into(), "1.0".into()));
    let key = rsa::PrivateKey::from_pkcs8_pem(&fixture("private.pem")).expect("private key");
    let signer = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(key);
    let mut sts = string_to_sign("POST", &p);
    if tamper {
        sts.push('x');
    }
    let sig = signer.sign(sts.as_bytes()).to_bytes();
    p.push((
        "Signature".into(),
        base64::engine::general_purpose::STANDARD.encode(sig),
    ));
    p
}

fn secret_data(body: &Value) -> Creds {
    let data: Value =
        serde_json::from_str(body["SecretData"].as_str().expect("SecretData")).expect("json");
    assert!(data["GenerateTimestamp"].is_string());
    Creds::from_json(&data)
}

#[tokio::test]
async fn kms_client_key_get_and_rotate() {
    let cloud = start().await;
    let url = cloud.kms_url();
    let p = client_key_signed(
        "GetSecretValue",
        &[
            ("SecretName", "demo-ram-secret"),
            ("FetchExtendedConfig", "true"),
        ],
        false,
    );
    let (status, body) = post_raw(&url, &p).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["SecretType"], "RAMCredentials");
    assert_eq!(body["VersionStages"]["VersionStage"][0], "ACSCurrent");
    assert_eq!(body["RotationInterval"], "604800s");
    assert_eq!(body["AutomaticRotation"], "Enabled");
    for f in [
        "VersionId",
        "CreateTime",
        "LastRotationDate",
        "NextRotationDate",
        "ExtendedConfig",
    ] {
        assert!(body[f].is_string(), "{f} in {body}");
    }
    let first = secret_data(&body);
    assert_eq!(first.id, alicred_fakecloud::DEMO_KMS_KEY_ID);
    let (status, who) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &first).await;
    assert_eq!(
        (status, who["Arn"].as_str()),
        (200, Some("acs:ram::1234567890123456:user/kms-app"))
    );

    let bad = client_key_signed("GetSecretValue", &[("SecretName", "demo-ram-secret")], true);
    let (status, body) = post_raw(&url, &bad).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "SignatureDoesNotMatch");

    let p = client_key_signed("GetSecretValue", &[("SecretName", "nope")], false);
    let (status, body) = post_raw(&url, &p).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("Forbidden.ResourceNotFound"))
    );

    // ClientKey signatures are KMS-only.
    let mut on_sts = client_key_signed("GetCallerIdentity", &[], false);
    for x in on_sts.iter_mut().filter(|(k, _)| k == "Version") {
        x.1 = "2015-04-01".into();
    }
    let (status, _) = post_raw(&cloud.sts_url(), &on_sts).await;
    assert_eq!(status, 400);

    // Rotate twice: the first key ends up deleted, the newest is current and works.
    let p = client_key_signed("RotateSecret", &[("SecretName", "demo-ram-secret")], false);
    let (status, rotated) = post_raw(&url, &p).await;
    assert_eq!(status, 200, "{rotated}");
    let v2 = rotated["VersionId"].as_str().expect("version").to_owned();
    let p = client_key_signed(
        "GetSecretValue",
        &[("SecretName", "demo-ram-secret")],
        false,
    );
    let (_, body) = post_raw(&url, &p).await;
    assert_eq!(body["VersionId"], v2.as_str());
    let second = secret_data(&body);
    assert_ne!(second.id, first.id);
    let p = client_key_signed(
        "GetSecretValue",
        &[
            ("SecretName", "demo-ram-secret"),
            ("VersionStage", "ACSPrevious"),
        ],
        false,
    );
    let (_, prev) = post_raw(&url, &p).await;
    assert_eq!(secret_data(&prev).id, first.id);

    // HMAC-signed by a RAM user of the same account works on KMS too.
    let p = signed(
        "POST",
        "2016-01-20",
        "RotateSecret",
        &[("SecretName", "demo-ram-secret"), ("VersionId", "v3")],
        Some(&second),
    );
    let (status, body) = post_raw(&url, &p).await;
    assert_eq!(
        (status, body["VersionId"].as_str()),
        (200, Some("v3")),
        "{body}"
    );
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &first).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("InvalidAccessKeyId.NotFound"))
    );
    let versions = cloud.secret_versions("demo-ram-secret").expect("versions");
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2].stages, vec!["ACSCurrent".to_owned()]);
    assert_eq!(versions[1].stages, vec!["ACSPrevious".to_owned()]);
    assert_eq!(
        cloud.list_access_keys(Some("kms-app")).expect("keys").len(),
        2
    );
}
