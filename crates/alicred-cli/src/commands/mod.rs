//! One file per command; each turns parsed arguments into core calls.

mod agent;
mod completions;
mod console;
mod creds;
mod demo;
mod endpoint;
mod env;
mod exec;
mod export;
mod import;
mod link;
mod login;
mod profile;
pub mod prompt;
mod resolve;
pub mod rotate;
mod sso;
mod verify;

use crate::cli::{Cli, Command};
use crate::error::{CliError, CliResult};
use alicred_core::paths::Paths;
use alicred_core::service::Alicred;
use std::process::ExitCode;

pub fn run(cli: Cli) -> CliResult<ExitCode> {
    let done = |r: CliResult| r.map(|()| ExitCode::SUCCESS);
    match cli.command {
        Command::Completions { shell } => done(completions::completions(shell)),
        Command::Man => done(completions::man()),
        Command::Prompt { format } => Ok(prompt::prompt(&format)),
        Command::Link(cmd) => done(link::link(&open()?, cmd)),
        Command::Unlink(cmd) => done(link::unlink(&open()?, cmd)),
        Command::Profile(cmd) => done(profile::run(&open()?, cmd)),
        Command::Use { name } => {
            alicred_core::usecases::UseCases::standalone(open()?).use_profile(&name)?;
            println!("active profile: {name}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Creds { name, json } => done(creds::creds(&open()?, name, json)),
        Command::Verify {
            name,
            sts_endpoint,
            json,
        } => done(verify::verify(&open()?, name, sts_endpoint, json)),
        Command::Exec {
            name,
            uri_only,
            command,
        } => exec::exec(&open()?, name, uri_only, command),
        Command::Env { name, shell } => done(env::env(&open()?, name, shell)),
        Command::Export { name, format } => done(export::export(&open()?, name, format)),
        Command::Import {
            from,
            file,
            dry_run,
            replace,
            json,
        } => done(import::import(
            &open()?,
            from.into(),
            file,
            dry_run,
            replace,
            json,
        )),
        Command::Agent {
            listen,
            allow_non_loopback,
        } => done(agent::agent(&open()?, listen, allow_non_loopback)),
        Command::Endpoint { name, rotate_token } => {
            done(endpoint::endpoint(&open()?, name, rotate_token))
        }
        Command::Sso(cmd) => done(sso::run(&open()?, cmd)),
        Command::Console {
            name,
            destination,
            print,
            browser,
            federation_endpoint,
        } => done(console::console(
            &open()?,
            alicred_core::usecases::ConsoleRequest {
                profile: name,
                destination,
                federation_endpoint,
                browser,
            },
            print,
        )),
        Command::Login { name, no_browser } => done(login::login(&open()?, &name, no_browser)),
        Command::Demo { emulator, agent } => done(demo::demo(&open()?, emulator, agent)),
        Command::Rotate {
            name,
            yes,
            delete_old,
            deactivate_old,
        } => done(rotate::rotate(
            &open()?,
            rotate::RotateArgs {
                name,
                yes,
                delete_old,
                deactivate_old,
            },
        )),
    }
}

pub fn open() -> CliResult<Alicred> {
    let paths = Paths::from_env().map_err(CliError::failed)?;
    Ok(Alicred::open(paths)?)
}

/// A multi-threaded runtime for the commands that talk to the network.
pub fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the async runtime: {e}")))
}
