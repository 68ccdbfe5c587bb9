//! Builds cached providers for a set of profiles, sources first, reusing the
//! cached providers of profiles that did not change.

use super::cached::{CachedProvider, Rng};
use super::events::EventBus;
use super::factory::{BrokenProvider, ProviderFactory};
use super::persist::SessionStore;
use crate::profile::ProfileName;
use crate::providers::{Provider, ProviderContext, ProviderError};
use crate::store::config::ProfilesFile;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub struct Builder<'a> {
    pub profiles: &'a ProfilesFile,
    pub ctx: &'a ProviderContext,
    pub factory: &'a dyn ProviderFactory,
    pub bus: &'a Arc<EventBus>,
    pub rng: &'a Rng,
    pub persist: bool,
    pub backoff_cap: chrono::Duration,
    /// Cached providers that stay as they are.
    pub keep: HashMap<ProfileName, Arc<CachedProvider>>,
    /// Built by this builder.
    pub built: HashMap<ProfileName, Arc<CachedProvider>>,
    visiting: HashSet<ProfileName>,
}

impl<'a> Builder<'a> {
    pub fn new(
        profiles: &'a ProfilesFile,
        ctx: &'a ProviderContext,
        factory: &'a dyn ProviderFactory,
        bus: &'a Arc<EventBus>,
        rng: &'a Rng,
        persist: bool,
        keep: HashMap<ProfileName, Arc<CachedProvider>>,
    ) -> Self {
        Self {
            profiles,
            ctx,
            factory,
            bus,
            rng,
            persist,
            backoff_cap: super::policy::BACKOFF_CAP,
            keep,
            built: HashMap::new(),
            visiting: HashSet::new(),
        }
    }

    /// The cached provider of `name`, building it (and its sources) if needed.
    pub fn get(&mut self, name: &ProfileName) -> Option<Arc<CachedProvider>> {
        if let Some(c) = self.built.get(name).or_else(|| self.keep.get(name)) {
            return Some(c.clone());
        }
        if !self.profiles.profiles.contains_key(name) || !self.visiting.insert(name.clone()) {
            return None; // unknown, or a cycle (validation reports those)
        }
        let (profiles, ctx, factory) = (self.profiles, self.ctx, self.factory);
        let mut missing: Option<ProfileName> = None;
        let built = factory.build(name, profiles, ctx, &mut |src: &ProfileName| {
            let got = self.get(src).map(|c| c as Arc<dyn Provider>);
            if got.is_none() {
                missing = Some(src.clone());
            }
            got
        });
        self.visiting.remove(name);
        let inner: Arc<dyn Provider> = match built {
            Ok(p) => p,
            Err(why) => Arc::new(BrokenProvider {
                why: match missing {
                    Some(src) => ProviderError::Config(format!(
                        "source profile {src} of {name} does not exist or forms a cycle ({why})"
                    )),
                    None => why,
                },
            }),
        };
        let cached = Arc::new(
            CachedProvider::new(name.to_string(), inner, ctx.clock.clone())
                .with_bus(self.bus.clone())
                .with_rng(self.rng.clone())
                .with_backoff_cap(self.backoff_cap)
                .with_persistence(if self.persist {
                    SessionStore::for_profile(ctx.secrets.clone(), name, profiles)
                } else {
                    None
                }),
        );
        self.built.insert(name.clone(), cached.clone());
        Some(cached)
    }
}
