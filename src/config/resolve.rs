//! [`ConfigResolver`]: reads one setting by its short name, environment variable →
//! instance parameter → shared parameter (docs/configuration.md), through the caches.
//!
//! Invariants:
//! - `fill me` (a Terraform placeholder) and empty values count as absent, wherever found.
//! - `AccessDenied` on a parameter counts as absent (optional parameters may be outside
//!   the function's IAM grant); it is remembered so required settings can say why.
//! - In Lambda mode, secrets are never taken from the environment: a secret found there is
//!   ignored and reported by name.
//! - Cached instance values live 5 minutes, shared ones 20; an expired value is kept and
//!   used when its refresh fails transiently. `get_fresh` bypasses every cache.
//! - Nothing here logs or returns a value in an error.

use std::sync::Arc;
use std::time::Duration;

use super::cache::{Cached, Entry, ParameterCache};
use super::names::{full_name, instance_prefix, shared_prefix};
use super::{Clock, ConfigError, Env};
use crate::secrets::{Parameter, SecretError, SecretStore};

/// How long an instance parameter is served from cache.
pub const INSTANCE_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a shared parameter is served from cache.
pub const SHARED_TTL: Duration = Duration::from_secs(20 * 60);

/// True for a value that means "not configured".
pub(crate) fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    value.is_empty() || value.eq_ignore_ascii_case("fill me")
}

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The environment variable of the same name.
    Env,
    /// The named parameter (full name).
    Parameter(String),
}

/// The outcome of resolving one setting: its value and what the health check may want
/// to know about how it was found.
#[derive(Clone, Default)]
pub struct Lookup {
    pub value: Option<(String, Source)>,
    /// Full names of parameters the store refused to read.
    pub denied: Vec<String>,
    /// A secret was set in the environment in Lambda mode and ignored.
    pub ignored_env: bool,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup")
            .field("source", &self.value.as_ref().map(|(_, s)| s))
            .field("denied", &self.denied)
            .field("ignored_env", &self.ignored_env)
            .finish()
    }
}

/// Resolves settings for one deployment. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct ConfigResolver {
    env: Env,
    store: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    instance_prefix: String,
    shared_prefix: String,
    cache: ParameterCache,
    /// The latest store modification among the settings resolved from parameters
    /// (the health check's `configPropertiesLastModified`).
    latest_change: std::sync::Mutex<Option<std::time::SystemTime>>,
}

impl ConfigResolver {
    /// A resolver reading `env` (a snapshot), then `store`, with time from `clock`.
    pub fn new(env: Env, store: Arc<dyn SecretStore>, clock: Arc<dyn Clock>) -> ConfigResolver {
        ConfigResolver {
            instance_prefix: instance_prefix(&env),
            shared_prefix: shared_prefix(&env),
            env,
            store,
            clock,
            cache: ParameterCache::default(),
            latest_change: std::sync::Mutex::new(None),
        }
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    pub fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The instance prefix (`PATH_TO_INSTANCE_CONFIG`, or derived from the function name).
    pub fn instance_prefix(&self) -> &str {
        &self.instance_prefix
    }

    /// Full name of the instance parameter for `short` (where `REFRESH_TOKEN`, the lock
    /// and `TOKEN_FAMILY` are written).
    pub fn instance_name(&self, short: &str) -> String {
        full_name(&self.instance_prefix, short)
    }

    /// Full name of the shared parameter for `short`.
    pub fn shared_name(&self, short: &str) -> String {
        full_name(&self.shared_prefix, short)
    }

    /// The value of `short`, through the caches.
    pub async fn get(&self, short: &str) -> Result<Option<String>, ConfigError> {
        Ok(self.lookup(short, false).await?.value.map(|(v, _)| v))
    }

    /// The value of `short` read from the environment or the store right now, bypassing
    /// every cache (the token manager's critical section). Refreshes the cache.
    pub async fn get_fresh(&self, short: &str) -> Result<Option<String>, ConfigError> {
        Ok(self.lookup(short, true).await?.value.map(|(v, _)| v))
    }

    /// Whether the instance parameter for `short` is configured, through the cache (no
    /// environment, no shared fallback). A placeholder is not configured; a parameter
    /// the store denies or cannot read counts as configured, so that its failure is
    /// reported where the value is used rather than hidden as "missing".
    pub async fn instance_parameter_configured(&self, short: &str) -> bool {
        match self
            .read(&self.instance_name(short), INSTANCE_TTL, false)
            .await
        {
            Ok(entry) => entry.value.is_some() || entry.denied,
            Err(_) => true,
        }
    }

    /// The latest store modification among the settings resolved from parameters so far.
    pub fn latest_change(&self) -> Option<std::time::SystemTime> {
        self.latest_change.lock().ok().and_then(|l| *l)
    }

    /// Forgets cached values of `short` (call after writing it).
    pub fn invalidate(&self, short: &str) {
        self.cache.invalidate(&self.instance_name(short));
        self.cache.invalidate(&self.shared_name(short));
    }

    /// Resolves `short`: environment, then instance parameter, then shared parameter.
    pub async fn lookup(&self, short: &str, fresh: bool) -> Result<Lookup, ConfigError> {
        let mut lookup = Lookup::default();
        if let Some(value) = self.env.get(short).filter(|v| !is_placeholder(v)) {
            if self.env_is_ignored(short) {
                tracing::warn!(setting = short, "secret set in the environment ignored");
                lookup.ignored_env = true;
            } else {
                lookup.value = Some((value.to_owned(), Source::Env));
                return Ok(lookup);
            }
        }
        for (name, ttl) in self.parameter_names(short) {
            let entry = self.read(&name, ttl, fresh).await?;
            // Configuration only: the token lifecycle's own writes are not changes of it.
            if let Some(at) = entry.last_modified.filter(|_| entry.value.is_some())
                && super::names::is_configuration(short)
                && let Ok(mut latest) = self.latest_change.lock()
            {
                *latest = (*latest).max(Some(at));
            }
            if entry.denied {
                lookup.denied.push(name.clone());
            }
            if let Some(value) = entry.value {
                lookup.value = Some((value, Source::Parameter(name)));
                break;
            }
        }
        Ok(lookup)
    }

    /// Reads into the cache, in as few store round trips as the store allows
    /// ([`SecretStore::get_many`]), every parameter that resolving `shorts` may need and the
    /// cache does not hold fresh. Resolution itself is unchanged: it then finds them
    /// cached. Never fails: a read that failed is simply not cached, so the lazy path
    /// reads it again and reports the error as it always did.
    pub async fn prefetch(&self, shorts: &[&str]) {
        let now = self.clock.now();
        let mut names: Vec<String> = Vec::new();
        for short in shorts {
            let in_env = self.env.get(short).is_some_and(|v| !is_placeholder(v));
            if in_env && !self.env_is_ignored(short) {
                continue;
            }
            for (name, ttl) in self.parameter_names(short) {
                let cached = matches!(self.cache.lookup(&name, now, ttl), Cached::Fresh(_));
                if !cached && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        if names.is_empty() {
            return;
        }
        let results = self.store.get_many(&names).await;
        let now = self.clock.now();
        for (name, result) in names.iter().zip(results) {
            if let Ok(entry) = entry_of(name, result) {
                self.cache.put(name, entry, now);
            }
        }
    }

    /// In Lambda mode a secret is never taken from the environment.
    fn env_is_ignored(&self, short: &str) -> bool {
        self.env.is_lambda() && super::names::is_secret(short)
    }

    /// The parameters that may hold `short`, in the order they are read, with their TTLs.
    fn parameter_names(&self, short: &str) -> Vec<(String, Duration)> {
        let instance = self.instance_name(short);
        let shared = self.shared_name(short);
        let mut steps = vec![(instance, INSTANCE_TTL)];
        if shared != steps[0].0 {
            steps.push((shared, SHARED_TTL));
        }
        steps
    }

    /// One parameter through the cache (or around it when `fresh`).
    async fn read(&self, name: &str, ttl: Duration, fresh: bool) -> Result<Entry, ConfigError> {
        let stale = match self.cache.lookup(name, self.clock.now(), ttl) {
            Cached::Fresh(entry) if !fresh => return Ok(entry),
            Cached::Fresh(entry) | Cached::Stale(entry) => Some(entry),
            Cached::Unknown => None,
        };
        let entry = match entry_of(name, self.store.get(name).await) {
            Ok(entry) => entry,
            Err(error) => match stale {
                Some(entry) if error.is_transient() && !fresh => {
                    tracing::warn!(parameter = name, %error, "store unavailable; using cached value");
                    return Ok(entry);
                }
                _ => return Err(error.into()),
            },
        };
        self.cache.put(name, entry.clone(), self.clock.now());
        Ok(entry)
    }
}

/// The cache entry for what the store answered about `name`: `fill me` is absent, and
/// access denied counts as absent (remembered as denied). Other errors are the caller's.
fn entry_of(
    name: &str,
    result: Result<Option<Parameter>, SecretError>,
) -> Result<Entry, SecretError> {
    match result {
        Ok(parameter) => Ok(Entry {
            last_modified: parameter.as_ref().map(|p| p.last_modified),
            value: parameter.map(|p| p.value).filter(|v| !is_placeholder(v)),
            denied: false,
        }),
        Err(SecretError::AccessDenied { .. }) => {
            tracing::debug!(parameter = name, "access denied; treated as absent");
            Ok(Entry {
                value: None,
                denied: true,
                last_modified: None,
            })
        }
        Err(error) => Err(error),
    }
}
