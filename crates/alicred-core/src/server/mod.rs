//! The localhost credentials-URI endpoint (docs/protocols.md, "Credentials URI") and the
//! agent that runs it next to the refresh engine.

pub mod agent;
pub mod agent_file;
pub mod guard;
pub mod handler;
pub mod http;
#[cfg(unix)]
pub mod local;
pub mod oneshot;
pub mod owner;
pub mod peer;
pub mod probe;
pub mod reload;
pub mod token;

pub use agent::{Agent, AgentConfig, AgentError, AgentHandle, EngineOnly};
pub use agent_file::{AgentInfo, running_agent};
pub use guard::{Refusal, Target, check_request};
pub use handler::EndpointState;
pub use http::{Limits, serve};
pub use token::{Scope, capability_for, endpoint_url};
