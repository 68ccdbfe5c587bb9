use crate::cli::{AddArgs, ProfileCmd};
use crate::error::{CliError, CliResult};
use alicred_core::engine::status::key_hint;
use alicred_core::profile::{Profile, ProfileInput, ProfileKind, ProfileType};
use alicred_core::service::{self, Alicred};
use alicred_core::store::secrets::{SecretKey, StoredKey};
use alicred_core::usecases::UseCases;
use std::io::{IsTerminal, Read};

pub fn run(app: &Alicred, cmd: ProfileCmd) -> CliResult {
    match cmd {
        ProfileCmd::Add(args) => add(app, *args),
        ProfileCmd::List { json } => list(app, json),
        ProfileCmd::Show { name, json } => {
            let file = app.profiles()?;
            let p = file.get(&name)?;
            let active = file.active.as_ref() == Some(&p.name);
            if json {
                print_json(&profile_json(app, p, active))
            } else {
                print_details(app, p, active);
                Ok(())
            }
        }
        ProfileCmd::Remove { name } => {
            UseCases::standalone(app.clone()).remove_profile(&name)?;
            println!("removed profile {name} and its secrets");
            Ok(())
        }
    }
}

fn add(app: &Alicred, a: AddArgs) -> CliResult {
    let input = ProfileInput {
        name: a.name,
        r#type: a.profile_type,
        region: a.region,
        description: a.description,
        console_browser: a.console_browser,
        role_arn: a.role_arn,
        session_name: a.session_name,
        policy: a.policy,
        duration: a.duration,
        external_id: a.external_id,
        source: a.source,
        role_name: a.role_name,
        imdsv1_disabled: a.imdsv1_disabled,
        oidc_provider_arn: a.oidc_provider_arn,
        oidc_token_file: a.oidc_token_file,
        uri: a.uri,
        command: a.command,
        timeout_seconds: a.timeout_seconds,
        secret_name: a.secret_name,
        client_key_file: a.client_key_file,
        client_key_password_env: a.client_key_password_env,
        client_key_password_file: a.client_key_password_file,
        expiration: a.expiration,
        max_key_age_days: a.max_key_age_days,
        user_name: a.user_name,
        sts_endpoint: a.sts_endpoint,
        ram_endpoint: a.ram_endpoint,
        kms_endpoint: a.kms_endpoint,
        metadata_endpoint: a.metadata_endpoint,
        sso_session: a.sso_session,
        account_id: a.account_id,
        access_config: a.access_config,
        site: a.site,
        oauth_sign_in_url: a.oauth_sign_in_url,
        oauth_endpoint: a.oauth_endpoint,
        client_id: a.client_id,
        bearer_token_header_key: a.bearer_token_header_key,
        ..Default::default()
    };
    let uc = UseCases::standalone(app.clone());
    // Checked before a secret is asked for, so a typo costs no typing.
    let (name, ty) = uc.check_before_secret(&input)?;
    if ty == ProfileType::BearerToken {
        return add_bearer_token(app, &uc, input, a.from_env, a.replace);
    }
    let secret = read_secret(ty, a.from_env, a.replace)?;
    let warnings = super::runtime()?.block_on(uc.add(input, secret, a.replace))?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{} profile {name} ({ty})",
        if a.replace { "saved" } else { "added" },
    );
    Ok(())
}

/// A `bearer-token` profile: the token from `ALIBABA_CLOUD_BEARER_TOKEN`
/// (`--from-env`), stdin, or a hidden prompt; kept in the keyring.
fn add_bearer_token(
    app: &Alicred,
    uc: &UseCases,
    input: alicred_core::profile::ProfileInput,
    from_env: bool,
    replace: bool,
) -> CliResult {
    use alicred_core::providers::bearer_token::{self, BEARER_TOKEN_ENV};
    let raw = if from_env {
        std::env::var(BEARER_TOKEN_ENV)
            .map_err(|_| CliError::usage(format!("--from-env needs {BEARER_TOKEN_ENV} set")))?
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Bearer token (hidden): ")
            .map_err(|e| CliError::failed(format!("cannot read from the terminal: {e}")))?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| CliError::failed(format!("cannot read stdin: {e}")))?;
        text
    };
    let token = bearer_token::sanitize(&raw);
    if token.is_empty() && !replace {
        return Err(CliError::usage(format!(
            "a bearer-token profile needs its token: pass --from-env with {BEARER_TOKEN_ENV} set, or the token on stdin"
        )));
    }
    let name: alicred_core::profile::ProfileName =
        input.name.trim().parse().map_err(CliError::usage)?;
    let warnings = super::runtime()?.block_on(uc.add(input, None, replace))?;
    if !token.is_empty() {
        bearer_token::store(app.secrets(), &name, &token)?;
    }
    for w in warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{} profile {name} (bearer-token)",
        if replace { "saved" } else { "added" }
    );
    Ok(())
}

/// The secret comes from the environment, from JSON on stdin, or from a
/// prompt on a terminal — never from an argument.
fn read_secret(ty: ProfileType, from_env: bool, replace: bool) -> CliResult<Option<StoredKey>> {
    if !ty.stores_secret() {
        if from_env {
            return Err(service::ServiceError::UnexpectedSecret(ty).into());
        }
        return Ok(None);
    }
    if from_env {
        return Ok(Some(service::secret_from_env(&|k| std::env::var(k).ok())?));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        if replace {
            // Keeping the stored secret is the common case when editing.
            return Ok(None);
        }
        return prompt_secret(ty).map(Some);
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| CliError::failed(format!("cannot read stdin: {e}")))?;
    if text.trim().is_empty() && replace {
        return Ok(None);
    }
    Ok(Some(service::secret_from_json(&text)?))
}

fn prompt_secret(ty: ProfileType) -> CliResult<StoredKey> {
    let io = |e: std::io::Error| CliError::failed(format!("cannot read from the terminal: {e}"));
    eprint!("AccessKeyId: ");
    let mut id = String::new();
    std::io::stdin().read_line(&mut id).map_err(io)?;
    let secret = rpassword::prompt_password("AccessKeySecret (hidden): ").map_err(io)?;
    let token = if ty == ProfileType::StsToken {
        Some(rpassword::prompt_password("SecurityToken (hidden): ").map_err(io)?)
    } else {
        None
    };
    let json = serde_json::json!({"AccessKeyId": id.trim(), "AccessKeySecret": secret, "SecurityToken": token});
    Ok(service::secret_from_json(&json.to_string())?)
}

fn list(app: &Alicred, json: bool) -> CliResult {
    let file = app.profiles()?;
    if json {
        let items: Vec<_> = file
            .profiles
            .values()
            .map(|p| profile_json(app, p, file.active.as_ref() == Some(&p.name)))
            .collect();
        return print_json(&items);
    }
    if file.profiles.is_empty() {
        println!(
            "no profiles yet; add one with `alicred profile add NAME --type access-key --from-env`"
        );
        return Ok(());
    }
    println!("{:<2}{:<24} {:<16} DETAILS", "", "NAME", "TYPE");
    for p in file.profiles.values() {
        let mark = if file.active.as_ref() == Some(&p.name) {
            "*"
        } else {
            " "
        };
        println!(
            "{mark:<2}{:<24} {:<16} {}",
            p.name,
            p.profile_type(),
            summary(p)
        );
    }
    Ok(())
}

/// The one thing worth knowing about a profile at a glance.
pub fn summary(p: &Profile) -> String {
    match &p.kind {
        ProfileKind::AccessKey(_) => "long-term AccessKey".into(),
        ProfileKind::KmsSecret(k) => format!("KMS secret {}", k.secret_name),
        ProfileKind::StsToken(s) => match s.expiration {
            Some(e) => format!(
                "expires {}",
                alicred_core::credentials::format_expiration(e)
            ),
            None => "pasted STS token".into(),
        },
        ProfileKind::RamRoleArn(r) => {
            format!("{} -> {} as {}", r.source, r.role_arn, r.session_name)
        }
        ProfileKind::EcsRamRole(e) => format!(
            "instance role {}",
            e.role_name.as_deref().unwrap_or("(discovered)")
        ),
        ProfileKind::OidcRoleArn(o) => {
            format!("{} via {}", o.role_arn, o.oidc_token_file.display())
        }
        ProfileKind::Environment(_) => "ALIBABA_CLOUD_* / OSS_* of the agent".into(),
        ProfileKind::CredentialsUri(c) => c.uri.to_string(),
        ProfileKind::External(x) => format!("runs {}", x.command),
        ProfileKind::CloudSso(c) => format!(
            "{}: {} as {}",
            c.sso_session,
            c.account_name.as_deref().unwrap_or(&c.account_id),
            c.access_config_name.as_deref().unwrap_or(&c.access_config)
        ),
        ProfileKind::Oauth(o) => format!("OAuth sign-in at {}", o.sign_in_url()),
        ProfileKind::BearerToken(b) => format!(
            "bearer token (header {})",
            b.header_key
                .as_deref()
                .unwrap_or(alicred_core::providers::bearer_token::DEFAULT_HEADER_KEY)
        ),
    }
}

/// What a profile looks like to scripts: its fields, whether a secret is
/// stored, and at most a hint of the AccessKeyId.
fn profile_json(app: &Alicred, p: &Profile, active: bool) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("active".into(), active.into());
        if p.profile_type().signs_in() {
            o.insert("signs_in".into(), true.into());
        }
        if p.profile_type().stores_secret() {
            let stored = app
                .secrets()
                .get_json::<StoredKey>(&SecretKey::Profile(p.name.clone()));
            match stored {
                Ok(Some(k)) => {
                    o.insert("has_secret".into(), true.into());
                    o.insert(
                        "access_key_id_hint".into(),
                        key_hint(&k.access_key_id).into(),
                    );
                }
                Ok(None) => {
                    o.insert("has_secret".into(), false.into());
                }
                Err(e) => {
                    o.insert("secret_error".into(), e.to_string().into());
                }
            }
        }
    }
    v
}

fn print_details(app: &Alicred, p: &Profile, active: bool) {
    let v = profile_json(app, p, active);
    println!(
        "{}{} ({})",
        p.name,
        if active { " [active]" } else { "" },
        p.profile_type()
    );
    if let Some(o) = v.as_object() {
        for (k, val) in o {
            if matches!(k.as_str(), "name" | "type" | "active") {
                continue;
            }
            let shown = match val {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            println!("  {k}: {shown}");
        }
    }
}

pub fn print_json<T: serde::Serialize>(v: &T) -> CliResult {
    let text = serde_json::to_string_pretty(v).map_err(|e| CliError::failed(e.to_string()))?;
    println!("{text}");
    Ok(())
}
