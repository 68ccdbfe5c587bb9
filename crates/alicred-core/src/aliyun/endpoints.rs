//! Which URL each service is reached at (docs/protocols.md): an explicit
//! override wins; else the region's endpoint (VPC variant on request); else
//! the global one.

use crate::profile::{Endpoints, Profile};
use crate::providers::{ProviderContext, ProviderError};
use url::Url;

pub const VPC_ENV: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
pub const STS_REGION_ENV: &str = "ALIBABA_CLOUD_STS_REGION";
pub const DEFAULT_METADATA: &str = "http://100.100.100.200";

fn vpc_enabled(ctx: &ProviderContext) -> bool {
    (ctx.env)(VPC_ENV).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Is `r` a region id like `cn-hangzhou`: `[a-z0-9-]`, dash-separated, at
/// most 64 characters? The one rule, for the profile validator and for the
/// host names built here (anything else could steer a host name elsewhere).
pub fn is_region_id(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 64
        && r.contains('-')
        && !r.starts_with('-')
        && !r.ends_with('-')
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_region(region: &str) -> Result<&str, ProviderError> {
    if is_region_id(region) {
        Ok(region)
    } else {
        Err(ProviderError::Config(format!(
            "region {region:?} is not a region id (like cn-hangzhou)"
        )))
    }
}

fn url(s: String) -> Result<Url, ProviderError> {
    Url::parse(&s).map_err(|e| ProviderError::Config(format!("endpoint {s} is not a URL: {e}")))
}

/// STS: override, else `sts[-vpc].<region>.aliyuncs.com` (region from the
/// profile, else `ALIBABA_CLOUD_STS_REGION`), else `sts.aliyuncs.com`.
pub fn sts(
    override_url: Option<&Url>,
    region: Option<&str>,
    ctx: &ProviderContext,
) -> Result<Url, ProviderError> {
    if let Some(u) = override_url {
        return Ok(u.clone());
    }
    let env_region = (ctx.env)(STS_REGION_ENV).filter(|r| !r.trim().is_empty());
    match region.map(str::to_string).or(env_region) {
        Some(r) => {
            let r = check_region(r.trim())?;
            let host = if vpc_enabled(ctx) { "sts-vpc" } else { "sts" };
            url(format!("https://{host}.{r}.aliyuncs.com/"))
        }
        None => url("https://sts.aliyuncs.com/".into()),
    }
}

/// RAM is global.
pub fn ram(override_url: Option<&Url>) -> Result<Url, ProviderError> {
    match override_url {
        Some(u) => Ok(u.clone()),
        None => url("https://ram.aliyuncs.com/".into()),
    }
}

/// KMS is regional only: no override and no region is a configuration error.
pub fn kms(
    override_url: Option<&Url>,
    region: Option<&str>,
    ctx: &ProviderContext,
) -> Result<Url, ProviderError> {
    if let Some(u) = override_url {
        return Ok(u.clone());
    }
    let Some(r) = region else {
        return Err(ProviderError::Config(
            "KMS needs a region or a KMS endpoint".into(),
        ));
    };
    let r = check_region(r.trim())?;
    let host = if vpc_enabled(ctx) { "kms-vpc" } else { "kms" };
    url(format!("https://{host}.{r}.aliyuncs.com/"))
}

pub fn metadata(override_url: Option<&Url>) -> Result<Url, ProviderError> {
    match override_url {
        Some(u) => Ok(u.clone()),
        None => url(DEFAULT_METADATA.into()),
    }
}

/// The STS endpoint a profile's credentials are verified against. Types
/// without endpoint settings use the region (or the global endpoint).
pub fn sts_for_profile(profile: &Profile, ctx: &ProviderContext) -> Result<Url, ProviderError> {
    let none = Endpoints::default();
    let eps = profile.kind.endpoints().unwrap_or(&none);
    sts(eps.sts.as_ref(), profile.region.as_deref(), ctx)
}

/// The RAM endpoint for a profile (rotation).
pub fn ram_for_profile(profile: &Profile) -> Result<Url, ProviderError> {
    ram(profile.kind.endpoints().and_then(|e| e.ram.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::store::secrets::MemoryStore;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn ctx(vars: &[(&str, &str)]) -> ProviderContext {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut c = ProviderContext::new(Arc::new(MemoryStore::default()), Arc::new(SystemClock));
        c.env = Arc::new(move |k| vars.get(k).cloned());
        c
    }

    #[test]
    fn sts_resolution() {
        let c = ctx(&[]);
        let o = Url::parse("http://127.0.0.1:8/sts").expect("url");
        assert_eq!(sts(Some(&o), Some("cn-hangzhou"), &c), Ok(o));
        assert_eq!(
            sts(None, Some("cn-hangzhou"), &c).map(String::from),
            Ok("https://sts.cn-hangzhou.aliyuncs.com/".into())
        );
        assert_eq!(
            sts(None, None, &c).map(String::from),
            Ok("https://sts.aliyuncs.com/".into())
        );
        let v = ctx(&[(VPC_ENV, "true"), (STS_REGION_ENV, "cn-beijing")]);
        assert_eq!(
            sts(None, None, &v).map(String::from),
            Ok("https://sts-vpc.cn-beijing.aliyuncs.com/".into())
        );
        assert!(sts(None, Some("evil.com/x"), &c).is_err());
    }

    #[test]
    fn kms_needs_a_region() {
        let c = ctx(&[]);
        assert!(matches!(kms(None, None, &c), Err(ProviderError::Config(_))));
        assert_eq!(
            kms(None, Some("cn-shanghai"), &c).map(String::from),
            Ok("https://kms.cn-shanghai.aliyuncs.com/".into())
        );
        let v = ctx(&[(VPC_ENV, "TRUE")]);
        assert_eq!(
            kms(None, Some("cn-shanghai"), &v).map(String::from),
            Ok("https://kms-vpc.cn-shanghai.aliyuncs.com/".into())
        );
    }

    #[test]
    fn globals() {
        assert_eq!(
            ram(None).map(String::from),
            Ok("https://ram.aliyuncs.com/".into())
        );
        assert_eq!(
            metadata(None).map(String::from),
            Ok("http://100.100.100.200/".into())
        );
    }
}
