//! The command-line contract (README, every `alicred` command by section). Only parsing lives here.

use alicred_core::profile::ProfileName;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "alicred",
    version,
    about = "Alibaba Cloud credentials from your OS keyring, always fresh",
    propagate_version = true
)]
pub struct Cli {
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list, show or remove profiles.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Make NAME the active profile (served at the endpoint's default URL).
    Use { name: ProfileName },
    /// Resolve a profile now and print its credentials.
    Creds {
        name: Option<ProfileName>,
        /// Print the credentials-URI JSON (the default when stdout is not a terminal).
        #[arg(long)]
        json: bool,
    },
    /// Ask STS who the profile's credentials belong to (GetCallerIdentity).
    Verify {
        name: Option<ProfileName>,
        /// STS endpoint to ask (full URL); default: the profile's.
        #[arg(long)]
        sts_endpoint: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run a command with the profile's credentials in its environment.
    Exec {
        name: ProfileName,
        /// Set only ALIBABA_CLOUD_CREDENTIALS_URI (needs a running agent): long-running
        /// programs then pick up refreshed credentials by themselves.
        #[arg(long)]
        uri_only: bool,
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Print shell commands that put the profile's credentials in the environment.
    Env {
        name: Option<ProfileName>,
        #[arg(long, value_enum, default_value_t = Shell::Bash)]
        shell: Shell,
    },
    /// Run the refresh loops and the localhost credentials endpoint until stopped.
    Agent {
        /// Address to listen on (default 127.0.0.1:47911, or the profiles file's setting).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Allow a non-loopback listen address (anyone who can reach it and knows the token gets credentials).
        #[arg(long)]
        allow_non_loopback: bool,
    },
    /// Print the running agent's URL for a profile (default: the active profile's URL).
    Endpoint {
        name: Option<ProfileName>,
        /// Make a new endpoint token; old URLs stop working.
        #[arg(long)]
        rotate_token: bool,
    },
    /// Rotate a profile's AccessKey through RAM (or a kms-secret through KMS).
    Rotate {
        name: ProfileName,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Delete the old key at once instead of after the grace period.
        #[arg(long, conflicts_with = "deactivate_old")]
        delete_old: bool,
        /// Only deactivate the old key; delete it yourself later.
        #[arg(long)]
        deactivate_old: bool,
    },
    /// Import profiles from the aliyun CLI or the SDK's credentials file.
    Import {
        #[arg(value_enum)]
        from: ImportSource,
        #[arg(long)]
        file: Option<PathBuf>,
        /// Show what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace profiles that already exist.
        #[arg(long)]
        replace: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print a profile's credentials for another tool.
    Export {
        name: ProfileName,
        #[arg(long, value_enum)]
        format: ExportFormat,
    },
    /// CloudSSO: sign in to a session (device flow) and get one profile per assignment.
    #[command(subcommand)]
    Sso(SsoCmd),
    /// Open the Alibaba Cloud console in a browser, signed in as the profile (STS profiles only).
    Console {
        name: Option<ProfileName>,
        /// The console page to open (an Alibaba Cloud console address); default: the console home.
        #[arg(long)]
        destination: Option<String>,
        /// Print the sign-in URL instead of opening a browser. It is a secret for 30 s: anyone who
        /// has it is signed in as the profile.
        #[arg(long)]
        print: bool,
        /// Browser command to open it with (the URL is its last argument); default: the profile's
        /// console_browser, then $BROWSER, then xdg-open.
        #[arg(long, value_name = "CMD")]
        browser: Option<String>,
        /// Federation endpoint to ask for the sign-in token (tests); default: the profiles file's
        /// federation_endpoint setting, then the profile's site.
        #[arg(long, value_name = "URL")]
        federation_endpoint: Option<String>,
    },
    /// Sign in whatever a cloud-sso or oauth profile needs (opens the browser).
    Login {
        name: ProfileName,
        /// Print the URL (and code) only; do not open a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Start the local emulator with sample profiles (no cloud account needed).
    Demo {
        /// Where the emulator listens.
        #[arg(long, default_value = alicred_demo::DEMO_EMULATOR_ADDR)]
        emulator: SocketAddr,
        /// Also run the agent (refresh loops + endpoint).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        agent: bool,
    },
    /// Print the active profile and its time left for a shell prompt (e.g. `prod-admin 42m`).
    /// Reads the running agent's status file only: no keyring, no network. Prints nothing
    /// when no agent runs or no profile is active; `ALICRED_PROFILE` (set by `exec`) wins.
    Prompt {
        /// Placeholders: {profile}, {left} (42m), {state} (fresh, needs-user, …) and
        /// {status} (42m, ⚠ sign in, ⚠ expired).
        #[arg(long, default_value = alicred_core::status_file::DEFAULT_FORMAT)]
        format: String,
    },
    /// Make another tool use alicred's profiles with no variables set.
    #[command(subcommand)]
    Link(LinkCmd),
    /// Remove exactly what `alicred link` wrote.
    #[command(subcommand)]
    Unlink(UnlinkCmd),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page (roff).
    #[command(hide = true)]
    Man,
}

impl Command {
    /// Prints its answer and exits: nothing is half done if the reader of
    /// its output goes away (so a closed pipe may simply end it).
    pub fn only_prints(&self) -> bool {
        match self {
            Command::Profile(p) => !matches!(p, ProfileCmd::Add(_) | ProfileCmd::Remove { .. }),
            Command::Sso(s) => matches!(s, SsoCmd::List { .. }),
            Command::Creds { .. }
            | Command::Env { .. }
            | Command::Export { .. }
            | Command::Prompt { .. }
            | Command::Completions { .. }
            | Command::Man => true,
            _ => false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum LinkCmd {
    /// Write External profiles running `alicred export NAME` into the aliyun CLI's
    /// config.json (or $ALIBABA_CLOUD_CONFIG_FILE); the SDKs' default chains read it.
    AliyunCli {
        #[arg(required_unless_present_any = ["all", "current"], conflicts_with = "all")]
        names: Vec<ProfileName>,
        /// Link every alicred profile.
        #[arg(long)]
        all: bool,
        /// Make NAME the CLI's `current` profile; `alicred use` then moves it along.
        #[arg(long, value_name = "NAME")]
        current: Option<ProfileName>,
        /// Also link access-key and kms-secret profiles. Refused by default: the SDKs write
        /// the credentials they get back into config.json, so the long-term AccessKey secret
        /// lies on disk between a call and alicred's strip of it (about a second with the
        /// agent running, until the next `alicred export` without it). Prefer linking a
        /// ram-role-arn profile that uses the key as its source.
        #[arg(long)]
        allow_long_term_key: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UnlinkCmd {
    /// Remove the profiles alicred wrote into the aliyun CLI's config.json (default: all of them).
    AliyunCli { names: Vec<ProfileName> },
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Add a profile. Secrets come from --from-env or JSON on stdin, never from arguments.
    Add(Box<AddArgs>),
    /// List profiles.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one profile (never its secret).
    Show {
        name: ProfileName,
        #[arg(long)]
        json: bool,
    },
    /// Remove a profile and its secrets.
    Remove { name: ProfileName },
}

#[derive(Debug, Subcommand)]
pub enum SsoCmd {
    /// Sign in (device flow) and create or update a cloud-sso profile per account ×
    /// access configuration you are assigned.
    Login {
        session: ProfileName,
        /// The user portal's sign-in URL (needed the first time).
        #[arg(long)]
        sign_in_url: Option<String>,
        /// Print the URL and code only; do not open a browser.
        #[arg(long)]
        no_browser: bool,
        /// Remove this session's profiles you are no longer assigned.
        #[arg(long)]
        prune: bool,
        /// Only this account (id or display name); repeatable.
        #[arg(long = "account", value_name = "ACCOUNT")]
        accounts: Vec<String>,
        /// Only this access configuration (id or name); repeatable.
        #[arg(long = "access-config", value_name = "CONFIG")]
        access_configs: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List CloudSSO sessions and their sign-in state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Forget a session's sign-in (its profiles stay and will ask to sign in).
    Logout { session: ProfileName },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub name: String,
    #[arg(
        long = "type",
        value_name = "TYPE",
        help = "access-key | kms-secret | sts-token | ram-role-arn | ecs-ram-role | oidc-role-arn | environment | credentials-uri | external | cloud-sso | oauth"
    )]
    pub profile_type: String,
    /// Read the secret from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/ALIBABA_CLOUD_SECURITY_TOKEN (or OSS_*).
    #[arg(long)]
    pub from_env: bool,
    /// Replace an existing profile of that name.
    #[arg(long)]
    pub replace: bool,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// bearer-token: the header a tool sends the token in (default x-acs-bearer-token).
    #[arg(long)]
    pub bearer_token_header_key: Option<String>,
    /// Browser command `alicred console` opens this profile with (e.g. "firefox -P work").
    #[arg(long)]
    pub console_browser: Option<String>,
    #[arg(long)]
    pub role_arn: Option<String>,
    #[arg(long)]
    pub session_name: Option<String>,
    /// An inline policy (JSON) narrowing the role's permissions.
    #[arg(long)]
    pub policy: Option<String>,
    /// Session duration in seconds (900-43200).
    #[arg(long)]
    pub duration: Option<u32>,
    #[arg(long)]
    pub external_id: Option<String>,
    /// The profile whose credentials assume the role.
    #[arg(long)]
    pub source: Option<String>,
    /// ECS instance RAM role (default: discovered).
    #[arg(long)]
    pub role_name: Option<String>,
    /// Refuse IMDSv1 (metadata without a token).
    #[arg(long)]
    pub imdsv1_disabled: bool,
    #[arg(long)]
    pub oidc_provider_arn: Option<String>,
    #[arg(long)]
    pub oidc_token_file: Option<PathBuf>,
    #[arg(long)]
    pub uri: Option<String>,
    /// The program (and arguments) printing credentials JSON.
    #[arg(long)]
    pub command: Option<String>,
    #[arg(long)]
    pub timeout_seconds: Option<u32>,
    #[arg(long)]
    pub secret_name: Option<String>,
    #[arg(long)]
    pub client_key_file: Option<PathBuf>,
    #[arg(long)]
    pub client_key_password_env: Option<String>,
    #[arg(long)]
    pub client_key_password_file: Option<PathBuf>,
    /// When a pasted STS token expires (YYYY-MM-DDThh:mm:ssZ).
    #[arg(long)]
    pub expiration: Option<String>,
    /// Rotation age policy in days (default 90).
    #[arg(long)]
    pub max_key_age_days: Option<u32>,
    /// RAM user owning the key (default: the caller).
    #[arg(long)]
    pub user_name: Option<String>,
    #[arg(long)]
    pub sts_endpoint: Option<String>,
    #[arg(long)]
    pub ram_endpoint: Option<String>,
    #[arg(long)]
    pub kms_endpoint: Option<String>,
    #[arg(long)]
    pub metadata_endpoint: Option<String>,
    /// cloud-sso: the CloudSSO session (see `alicred sso list`).
    #[arg(long)]
    pub sso_session: Option<String>,
    /// cloud-sso: the account id.
    #[arg(long)]
    pub account_id: Option<String>,
    /// cloud-sso: the access configuration id (ac-…).
    #[arg(long)]
    pub access_config: Option<String>,
    /// oauth: cn (default) or intl.
    #[arg(long)]
    pub site: Option<String>,
    /// oauth: sign-in site URL instead of the site's (the emulator, tests).
    #[arg(long)]
    pub oauth_sign_in_url: Option<String>,
    /// oauth: token API URL instead of the site's.
    #[arg(long)]
    pub oauth_endpoint: Option<String>,
    /// oauth: client id instead of the site's CLI application.
    #[arg(long)]
    pub client_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    /// ~/.aliyun/config.json
    AliyunCli,
    /// ~/.alibabacloud/credentials(.ini)
    Ini,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// aliyun CLI External-mode JSON.
    AliyunExternal,
    /// `export` lines for a POSIX shell.
    Env,
    /// credentials-URI JSON.
    Json,
}

impl From<Shell> for alicred_core::usecases::Shell {
    fn from(s: Shell) -> Self {
        match s {
            Shell::Bash => Self::Bash,
            Shell::Zsh => Self::Zsh,
            Shell::Fish => Self::Fish,
            Shell::Powershell => Self::Powershell,
        }
    }
}

impl From<ExportFormat> for alicred_core::usecases::ExportFormat {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::AliyunExternal => Self::AliyunExternal,
            ExportFormat::Env => Self::Env,
            ExportFormat::Json => Self::Json,
        }
    }
}

impl From<ImportSource> for alicred_core::usecases::import::ImportSource {
    fn from(s: ImportSource) -> Self {
        match s {
            ImportSource::AliyunCli => Self::AliyunCli,
            ImportSource::Ini => Self::Ini,
        }
    }
}
