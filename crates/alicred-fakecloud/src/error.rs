//! Error types: the crate's own [`Error`] and the gateway's RPC error ([`ApiError`]).

use serde_json::{Value, json};

/// Errors of the library API (starting the server, typed admin calls).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Only loopback addresses may be bound.
    #[error("refusing to listen on {0}: only loopback addresses (127.0.0.0/8, ::1) are allowed")]
    NonLoopback(std::net::SocketAddr),
    /// Binding or serving failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An admin operation was rejected (unknown entity, limit, bad input).
    #[error("{code}: {message}")]
    Admin {
        /// Machine-readable code, e.g. `EntityNotExist.User`.
        code: String,
        /// Human-readable explanation.
        message: String,
    },
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Admin {
            code: e.code,
            message: e.message,
        }
    }
}

/// An error answered by the emulated gateway: HTTP status + `Code` + `Message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::new(
            400,
            &format!("Missing{param}"),
            format!("{param} is mandatory for this action."),
        )
    }

    pub(crate) fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }

    /// The real gateway's JSON error body.
    pub(crate) fn body(&self, request_id: &str, host_id: &str, product: &str) -> Value {
        json!({
            "RequestId": request_id,
            "HostId": host_id,
            "Code": self.code,
            "Message": self.message,
            "Recommend": format!(
                "https://api.aliyun.com/troubleshoot?q={}&product={}&requestId={}",
                self.code, product, request_id
            ),
        })
    }
}
