use crate::cli::{AddArgs, ProfileCmd};
use crate::error::{CliError, CliResult};
use alicred_core::Sensitive;
use alicred_core::profile::{ProfileInput, ProfileType};
use alicred_core::service::Alicred;
use alicred_core::service::ServiceError;
use alicred_core::store::secrets::StoredKey;
use alicred_core::usecases::profiles::{self, NewSecret, SecretSource};
use alicred_core::usecases::{ProfileSummary, UseCaseError, UseCases};
use std::io::{IsTerminal, Read};

pub fn run(app: &Alicred, cmd: ProfileCmd) -> CliResult {
    let uc = UseCases::standalone(app.clone());
    match cmd {
        ProfileCmd::Add(args) => add(&uc, *args),
        ProfileCmd::List { json } => list(&uc, json),
        ProfileCmd::Show { name, json } => {
            let s = super::runtime()?.block_on(uc.profile_summary(&name))?;
            if json {
                print_json(&s)
            } else {
                print_details(&s);
                Ok(())
            }
        }
        ProfileCmd::Remove { name } => {
            uc.remove_profile(&name)?;
            println!("removed profile {name} and its secrets");
            Ok(())
        }
    }
}

fn add(uc: &UseCases, a: AddArgs) -> CliResult {
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
    // Checked before a secret is asked for, so a typo costs no typing.
    let (name, ty) = uc.check_before_secret(&input)?;
    if ty == ProfileType::BearerToken {
        return add_bearer_token(uc, input, a.from_env, a.replace);
    }
    let secret = read_secret(ty, a.from_env, a.replace)?;
    let warnings = super::runtime()?.block_on(uc.add(input, secret.map(Into::into), a.replace))?;
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
/// (`--from-env`), stdin, or a hidden prompt; the core keeps it in the
/// keyring (and says when it is missing).
fn add_bearer_token(
    uc: &UseCases,
    input: alicred_core::profile::ProfileInput,
    from_env: bool,
    replace: bool,
) -> CliResult {
    use alicred_core::providers::bearer_token::BEARER_TOKEN_ENV;
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
    let name = input.name.trim().to_string();
    let token = Some(NewSecret::BearerToken(Sensitive::new(raw)));
    let warnings = super::runtime()?
        .block_on(uc.add(input, token, replace))
        .map_err(|e| match e {
            UseCaseError::Service(ServiceError::MissingBearerToken) => CliError::usage(format!(
                "a bearer-token profile needs its token: pass --from-env with {BEARER_TOKEN_ENV} set, or the token on stdin"
            )),
            other => other.into(),
        })?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{} profile {name} (bearer-token)",
        if replace { "saved" } else { "added" }
    );
    Ok(())
}

/// The secret comes from where the core says: the environment, a prompt on
/// a terminal, or JSON on stdin — never from an argument.
fn read_secret(ty: ProfileType, from_env: bool, replace: bool) -> CliResult<Option<StoredKey>> {
    let stdin = std::io::stdin();
    Ok(
        match profiles::secret_source(ty, from_env, replace, stdin.is_terminal())? {
            SecretSource::Nothing => None,
            SecretSource::Environment => Some(profiles::secret_from_env()?),
            SecretSource::Ask(questions) => {
                let io = |e: std::io::Error| {
                    CliError::failed(format!("cannot read from the terminal: {e}"))
                };
                let mut answers = Vec::new();
                for q in questions {
                    let answer = if q.hidden {
                        rpassword::prompt_password(format!("{} (hidden): ", q.label)).map_err(io)?
                    } else {
                        eprint!("{}: ", q.label);
                        let mut line = String::new();
                        stdin.read_line(&mut line).map_err(io)?;
                        line
                    };
                    answers.push(Sensitive::new(answer));
                }
                Some(profiles::secret_from_answers(&answers)?)
            }
            SecretSource::Stdin => {
                let mut text = String::new();
                stdin
                    .lock()
                    .read_to_string(&mut text)
                    .map_err(|e| CliError::failed(format!("cannot read stdin: {e}")))?;
                profiles::secret_from_stdin(&text, replace)?
            }
        },
    )
}

fn list(uc: &UseCases, json: bool) -> CliResult {
    let all = super::runtime()?.block_on(uc.profile_summaries())?;
    if json {
        return print_json(&all);
    }
    if all.is_empty() {
        println!(
            "no profiles yet; add one with `alicred profile add NAME --type access-key --from-env`"
        );
        return Ok(());
    }
    println!("{:<2}{:<24} {:<16} DETAILS", "", "NAME", "TYPE");
    for s in &all {
        let mark = if s.active { "*" } else { " " };
        println!(
            "{mark:<2}{:<24} {:<16} {}",
            s.profile.name,
            s.profile.profile_type(),
            s.summary
        );
    }
    Ok(())
}

/// Every field but the secret, one a line.
fn print_details(s: &ProfileSummary) {
    let p = &s.profile;
    let active = if s.active { " [active]" } else { "" };
    println!("{}{active} ({})", p.name, p.profile_type());
    if let Ok(serde_json::Value::Object(o)) = serde_json::to_value(s) {
        for (k, val) in o {
            if matches!(k.as_str(), "name" | "type" | "active") {
                continue;
            }
            let shown = match val {
                serde_json::Value::String(s) => s,
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
