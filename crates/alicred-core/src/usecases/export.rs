//! What a tool's environment gets for a profile, built by
//! [`crate::env_vars::for_tool`] so `alicred env`/`exec` and the desktop's
//! "Copy export" set the same variables and switches.

use crate::env_vars;

/// One POSIX shell line that points a tool at the endpoint: the credentials
/// URI plus the switches that keep the SDKs from probing ECS metadata or
/// preferring `~/.aliyun/config.json` (what the dashboard and tray copy).
pub fn export_line(endpoint_url: &str) -> String {
    let vars = env_vars::for_tool(None, Some(endpoint_url));
    let assignments: Vec<String> = vars
        .iter()
        .map(|(k, v)| format!("{k}={}", env_vars::posix_quote(v)))
        .collect();
    format!("export {}", assignments.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_line_sets_what_alicred_env_sets() {
        let url = "http://127.0.0.1:47911/tok/v1/credentials";
        let line = export_line(url);
        assert_eq!(
            line,
            format!(
                "export ALIBABA_CLOUD_CREDENTIALS_URI={url} ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"
            )
        );
        for (k, _) in env_vars::for_tool(None, Some(url)) {
            assert!(line.contains(&format!("{k}=")), "{k} missing from {line}");
        }
    }

    #[test]
    fn odd_characters_are_quoted() {
        assert_eq!(
            export_line("http://x/a b'c"),
            "export ALIBABA_CLOUD_CREDENTIALS_URI='http://x/a b'\\''c' ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"
        );
    }
}
