//! STS over real HTTP: signature checks, AssumeRole, chaining, expiry, OIDC, `/` dispatch.

mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn signed_get_and_post_are_accepted() {
    let cloud = start().await;
    let a = alice(&cloud);
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &a).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["IdentityType"], "RAMUser");
    assert_eq!(body["AccountId"], "1234567890123456");
    assert_eq!(body["Arn"], "acs:ram::1234567890123456:user/alice");
    assert!(body["RequestId"].is_string());

    let p = signed("POST", "2015-04-01", "GetCallerIdentity", &[], Some(&a));
    let (status, body) = post_raw(&cloud.sts_url(), &p).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["UserId"], body["PrincipalId"]);
}

#[tokio::test]
async fn tampered_signature_is_rejected() {
    let cloud = start().await;
    let a = alice(&cloud);
    let mut p = signed("GET", "2015-04-01", "GetCallerIdentity", &[], Some(&a));
    // Change a signed parameter after signing.
    if let Some(x) = p.iter_mut().find(|(k, _)| k == "Format") {
        x.1 = "XML".into();
    }
    let (status, body) = get_raw(&cloud.sts_url(), &p).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "SignatureDoesNotMatch");
    assert_eq!(body["HostId"], "sts.aliyuncs.com");

    let wrong = Creds::new(&a.id, "not-the-secret");
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &wrong).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "SignatureDoesNotMatch");

    // Signed as GET, sent as POST: the method is part of the string to sign.
    let p = signed("GET", "2015-04-01", "GetCallerIdentity", &[], Some(&a));
    let (status, body) = post_raw(&cloud.sts_url(), &p).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("SignatureDoesNotMatch"))
    );
}

#[tokio::test]
async fn unknown_and_inactive_keys() {
    let cloud = start().await;
    let ghost = Creds::new("LTAI5tNoSuchKey000000000", "x");
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &ghost).await;
    assert_eq!(status, 404);
    assert_error_shape(&body, "InvalidAccessKeyId.NotFound");

    let bob = cloud.create_user("bob").expect("bob");
    cloud
        .set_access_key_status(&bob.access_key_id, alicred_fakecloud::KeyStatus::Inactive)
        .expect("status");
    let bob = Creds::new(&bob.access_key_id, &bob.access_key_secret);
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &bob).await;
    assert_eq!(status, 403);
    assert_error_shape(&body, "InvalidAccessKeyId.Inactive");
}

#[tokio::test]
async fn replayed_nonce_and_stale_timestamp() {
    let cloud = start().await;
    let a = alice(&cloud);
    let p = signed("GET", "2015-04-01", "GetCallerIdentity", &[], Some(&a));
    let (status, _) = get_raw(&cloud.sts_url(), &p).await;
    assert_eq!(status, 200);
    let (status, body) = get_raw(&cloud.sts_url(), &p).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "SignatureNonceUsed");

    for ts in ["2024-01-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
        let mut p: Vec<(String, String)> = signed(
            "GET",
            "2015-04-01",
            "GetCallerIdentity",
            &[("Timestamp", ts)],
            None,
        );
        p.retain(|(k, _)| k != "Timestamp");
        p.push(("Timestamp".into(), ts.into()));
        p.push(("AccessKeyId".into(), a.id.clone()));
        p.push(("SignatureMethod".into(), "HMAC-SHA1".into()));
        p.push(("SignatureVersion".into(), "1.0".into()));
        let sig = hmac_sign(&a.secret, &string_to_sign("GET", &p));
        p.push(("Signature".into(), sig));
        let (status, body) = get_raw(&cloud.sts_url(), &p).await;
        assert_eq!(status, 400);
        assert_error_shape(&body, "InvalidTimeStamp.Expired");
    }
}

async fn assume(cloud: &alicred_fakecloud::FakeCloudHandle, c: &Creds, role: &str) -> (u16, Value) {
    let arn = format!("acs:ram::1234567890123456:role/{role}");
    sts(
        &cloud.sts_url(),
        "AssumeRole",
        &[("RoleArn", &arn), ("RoleSessionName", "alice-session")],
        c,
    )
    .await
}

#[tokio::test]
async fn assume_role_then_chain() {
    let cloud = start().await;
    let (status, body) = assume(&cloud, &alice(&cloud), "admin").await;
    assert_eq!(status, 200, "{body}");
    let creds = &body["Credentials"];
    assert!(
        creds["AccessKeyId"]
            .as_str()
            .is_some_and(|s| s.starts_with("STS."))
    );
    let exp = creds["Expiration"].as_str().expect("Expiration");
    assert!(
        chrono::NaiveDateTime::parse_from_str(exp, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{exp}"
    );
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        "acs:ram::1234567890123456:role/admin/alice-session"
    );
    assert!(
        body["AssumedRoleUser"]["AssumedRoleId"]
            .as_str()
            .is_some_and(|s| s.ends_with(":alice-session"))
    );

    let sts_creds = Creds::from_sts(&body);
    let (status, who) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &sts_creds).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["IdentityType"], "AssumedRoleUser");
    // GetCallerIdentity names a role session `assumed-role`, as the real STS does.
    assert_eq!(
        who["Arn"],
        "acs:ram::1234567890123456:assumed-role/admin/alice-session"
    );
    assert!(who["RoleId"].is_string());

    // Chaining: the STS credentials assume another role (Policy with spaces and `*`).
    let policy =
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let (status, chained) = sts(
        &cloud.sts_url(),
        "AssumeRole",
        &[
            ("RoleArn", "acs:ram::1234567890123456:role/dev"),
            ("RoleSessionName", "chained"),
            ("DurationSeconds", "43200"),
            ("Policy", policy),
            ("ExternalId", "ext-id_1"),
        ],
        &sts_creds,
    )
    .await;
    assert_eq!(status, 200, "{chained}");
    assert_eq!(
        chained["AssumedRoleUser"]["Arn"],
        "acs:ram::1234567890123456:role/dev/chained"
    );

    // STS credentials without their token.
    let mut no_token = sts_creds.clone();
    no_token.token = None;
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &no_token).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "MissingSecurityToken");
    let mut wrong_token = sts_creds.clone();
    wrong_token.token = Some("CAISwrong".into());
    let (_, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &wrong_token).await;
    assert!(
        body["Code"]
            .as_str()
            .is_some_and(|c| c.starts_with("InvalidSecurityToken."))
    );

    let issued = cloud.issued();
    assert!(
        issued
            .iter()
            .any(|i| Some(i.access_key_id.as_str()) == Some(sts_creds.id.as_str()))
    );
    assert_eq!(cloud.counters().requests.get("sts:AssumeRole"), Some(&2));
}

#[tokio::test]
async fn assume_role_validation() {
    let cloud = start().await;
    let a = alice(&cloud);
    let url = cloud.sts_url();
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);
    let cases: &[Case] = &[
        (
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/nope"),
                ("RoleSessionName", "s1"),
            ],
            404,
            "EntityNotExist.Role",
        ),
        (
            &[
                ("RoleArn", "arn:aws:iam::1:role/x"),
                ("RoleSessionName", "s1"),
            ],
            400,
            "InvalidParameter.RoleArn",
        ),
        (
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/admin"),
                ("RoleSessionName", "bad name"),
            ],
            400,
            "InvalidParameter.RoleSessionName",
        ),
        (
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/admin"),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", "7200"),
            ],
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/admin"),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", "600"),
            ],
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/admin"),
                ("RoleSessionName", "s1"),
                ("Policy", "{oops"),
            ],
            400,
            "InvalidParameter.PolicyGrammar",
        ),
        (
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/admin"),
                ("RoleSessionName", "s1"),
                ("ExternalId", "a b"),
            ],
            400,
            "InvalidParameter.ExternalId",
        ),
        (&[("RoleSessionName", "s1")], 400, "MissingRoleArn"),
    ];
    for (extra, status, code) in cases {
        let (s, body) = sts(&url, "AssumeRole", extra, &a).await;
        assert_eq!(
            (s, body["Code"].as_str()),
            (*status, Some(*code)),
            "{extra:?} → {body}"
        );
    }
    // Root accounts cannot assume roles; GetCallerIdentity says Account.
    let root = cloud
        .create_account("1234567890123456", true)
        .expect("account")
        .expect("root key");
    let root = Creds::new(&root.access_key_id, &root.access_key_secret);
    let (s, body) = assume(&cloud, &root, "admin").await;
    assert_eq!((s, body["Code"].as_str()), (403, Some("NoPermission")));
    let (s, who) = sts(&url, "GetCallerIdentity", &[], &root).await;
    assert_eq!(s, 200);
    assert_eq!(who["IdentityType"], "Account");
    assert_eq!(who["Arn"], "acs:ram::1234567890123456:root");
}

#[tokio::test]
async fn sts_credentials_expire_after_configured_lifetime() {
    let cloud = start().await;
    cloud.set_lifetime(Some(2));
    let (status, body) = assume(&cloud, &alice(&cloud), "readonly").await;
    assert_eq!(status, 200);
    let c = Creds::from_sts(&body);
    let (status, _) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &c).await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &c).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "InvalidSecurityToken.Expired");
    let issued = cloud.issued();
    let rec = issued
        .iter()
        .find(|i| i.access_key_id == c.id)
        .expect("recorded");
    let exp = rec.expiration.as_deref().expect("expiration");
    let exp = chrono::NaiveDateTime::parse_from_str(exp, "%Y-%m-%dT%H:%M:%SZ").expect("format");
    let issued_at = chrono::NaiveDateTime::parse_from_str(&rec.issued_at, "%Y-%m-%dT%H:%M:%SZ")
        .expect("format");
    assert_eq!((exp - issued_at).num_seconds(), 2);
}

#[tokio::test]
async fn assume_role_with_oidc() {
    let cloud = start().await;
    let base = [
        ("RoleArn", "acs:ram::1234567890123456:role/dev"),
        (
            "OIDCProviderArn",
            "acs:ram::1234567890123456:oidc-provider/demo",
        ),
        ("RoleSessionName", "pod"),
    ];
    let mut ok = base.to_vec();
    ok.push(("OIDCToken", "demo-oidc-token"));
    let p = signed("POST", "2015-04-01", "AssumeRoleWithOIDC", &ok, None);
    let (status, body) = post_raw(&cloud.sts_url(), &p).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["OIDCTokenInfo"]["Subject"].is_string());
    let c = Creds::from_sts(&body);
    let (status, who) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &c).await;
    assert_eq!(status, 200);
    assert_eq!(who["Arn"], "acs:ram::1234567890123456:assumed-role/dev/pod");

    let mut bad = base.to_vec();
    bad.push(("OIDCToken", "stolen-token"));
    let p = signed("POST", "2015-04-01", "AssumeRoleWithOIDC", &bad, None);
    let (status, body) = post_raw(&cloud.sts_url(), &p).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("AuthenticationFail.OIDCToken.Invalid"))
    );

    let mut unknown = vec![
        ("RoleArn", "acs:ram::1234567890123456:role/dev"),
        (
            "OIDCProviderArn",
            "acs:ram::1234567890123456:oidc-provider/other",
        ),
    ];
    unknown.push(("OIDCToken", "demo-oidc-token"));
    let p = signed("POST", "2015-04-01", "AssumeRoleWithOIDC", &unknown, None);
    let (status, body) = post_raw(&cloud.sts_url(), &p).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("EntityNotExist.OIDCProvider"))
    );
    let p = signed("POST", "2015-04-01", "AssumeRoleWithOIDC", &base, None);
    let (_, body) = post_raw(&cloud.sts_url(), &p).await;
    assert_eq!(body["Code"], "MissingOIDCToken");
}

#[tokio::test]
async fn root_path_dispatches_by_version() {
    let cloud = start().await;
    let a = alice(&cloud);
    let base = cloud.base_url();
    let (status, body) = sts(&format!("{base}/"), "GetCallerIdentity", &[], &a).await;
    assert_eq!(
        (status, body["IdentityType"].as_str()),
        (200, Some("RAMUser"))
    );
    let p = signed("GET", "2015-05-01", "ListAccessKeys", &[], Some(&a));
    let (status, body) = get_raw(&format!("{base}/"), &p).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["AccessKeys"]["AccessKey"].as_array().map(Vec::len),
        Some(1)
    );
    let p = signed("GET", "2099-01-01", "ListAccessKeys", &[], Some(&a));
    let (status, body) = get_raw(&format!("{base}/"), &p).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidVersion"))
    );
    // A RAM version on the STS prefix is refused too.
    let p = signed("GET", "2015-05-01", "ListAccessKeys", &[], Some(&a));
    let (status, _) = get_raw(&cloud.sts_url(), &p).await;
    assert_eq!(status, 400);
    let (status, body) = sts(&cloud.sts_url(), "NoSuchAction", &[], &a).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("InvalidAction.NotFound"))
    );
}
