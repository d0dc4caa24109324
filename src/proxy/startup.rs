//! Building the proxy's state: [`build`] is the one constructor of [`AppState`], used by
//! every front door (Lambda, `serve`, `serve --demo`) and by the tests, which differ only
//! in the [`Dependencies`] they pass.
//!
//! The settings arrive complete from [`crate::config::resolve`] (rules choice, OAuth
//! strategy and token source included); `build` compiles the rules that the settings
//! choose, makes the pseudonymizer, and connects the token source to the store. Nothing
//! changes the state afterwards.
//!
//! Invariant: missing or invalid settings never stop the app: they are listed by name in
//! `ProxySettings::missing`, so every request gets 500 `CONNECTION_SETUP` and the health
//! check says why. Only a process that cannot make an HTTP client fails to start.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::live::{LiveState, Rebuild, ReloadPolicy};
use super::{AppState, CompiledRules, LocalAccess, ReqwestUpstream, Upstream, compile_rules};
use crate::auth::{AccessTokens, ManagerConfig, StaticAccessToken, TokenEndpoint, TokenManager};
use crate::config::names::PSEUDOPROXY_SECRETS_FILE;
use crate::config::{
    self, Clock, Env, Overrides, ProxySettings, RulesChoice, SystemClock, TokenSource,
};
use crate::secrets::{MemoryStore, SecretStore};

/// What the state is built from besides the settings: the seams to the outside world.
pub struct Dependencies {
    /// Where parameters, tokens and the refresh lock live.
    pub store: Arc<dyn SecretStore>,
    /// Time for token expiry and the lock (tests inject a manual clock).
    pub clock: Arc<dyn Clock>,
    /// The source API.
    pub upstream: Arc<dyn Upstream>,
    /// The rules served when the settings choose the shipped ones.
    pub shipped_rules: ShippedRules,
    /// Token-manager tunables (tests shorten the waits).
    pub tuning: ManagerConfig,
    /// Who may talk to a local server (`serve`); `NotLocal` on Lambda.
    pub local_access: LocalAccess,
}

/// The shipped rules: compiled on demand, or already being compiled.
pub enum ShippedRules {
    /// Compile the rules embedded in the binary ([`crate::rules::SHIPPED_RULES`]).
    Embedded,
    /// Compiled elsewhere since start-up (Lambda overlaps it with the store reads);
    /// awaited only when no custom rules replace them.
    Pending(Pin<Box<dyn Future<Output = CompiledRules> + Send>>),
}

impl ShippedRules {
    /// Starts compiling the embedded rules on the blocking pool now.
    pub fn compile_in_background() -> ShippedRules {
        let task = tokio::task::spawn_blocking(|| compile_rules(crate::rules::SHIPPED_RULES));
        ShippedRules::Pending(Box::pin(async {
            // A panic while compiling is a rules failure (500 RULES_INVALID), never a pass.
            task.await
                .unwrap_or_else(|e| Err(format!("compiling the shipped rules failed: {e}")))
        }))
    }

    async fn compiled(self) -> CompiledRules {
        match self {
            // Compiled once per process: a reload (super::live) must not pay for it again.
            ShippedRules::Embedded => {
                static COMPILED: std::sync::OnceLock<CompiledRules> = std::sync::OnceLock::new();
                COMPILED
                    .get_or_init(|| compile_rules(crate::rules::SHIPPED_RULES))
                    .clone()
            }
            ShippedRules::Pending(compiling) => compiling.await,
        }
    }
}

/// Why the state could not be built (the process cannot serve at all).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot build the token endpoint client: {0}")]
    TokenEndpoint(String),
}

/// The one constructor of [`AppState`].
pub async fn build(deps: Dependencies, settings: ProxySettings) -> Result<AppState, BuildError> {
    // CPU work that no request should wait for: compiled on the blocking pool meanwhile.
    // Detached on purpose: the grammar is a `LazyLock`, so a request that comes first
    // simply compiles it itself.
    drop(tokio::task::spawn_blocking(
        crate::pseudonym::warm_up_email_grammar,
    ));
    let tokens = token_source(&settings, &deps)?;
    let rules = match &settings.rules {
        RulesChoice::Custom { origin, yaml } => compile_rules((origin, yaml)),
        RulesChoice::Shipped => deps.shipped_rules.compiled().await,
    };
    let settings = require_key_of_the_rules(settings, &rules);
    Ok(AppState {
        pseudonymizer: crate::pseudonym::Pseudonymizer::new(settings.pseudonym.clone()),
        settings,
        rules,
        upstream: deps.upstream,
        tokens,
        local_access: deps.local_access,
    })
}

/// Rules that issue reversible pseudonyms cannot be served without the key: the key is
/// then a missing setting (500 `CONNECTION_SETUP`, named by the health check) rather than
/// a 502 on the first response that holds such a field.
fn require_key_of_the_rules(mut settings: ProxySettings, rules: &CompiledRules) -> ProxySettings {
    let needs_key = rules
        .as_ref()
        .is_ok_and(|rules| rules.issues_reversible_pseudonyms());
    if needs_key && settings.pseudonym.encryption_key.is_none() {
        settings
            .missing
            .push(crate::config::names::PSOXY_ENCRYPTION_KEY.to_owned());
    }
    settings
}

/// The token source the settings chose, connected to the store.
fn token_source(
    settings: &ProxySettings,
    deps: &Dependencies,
) -> Result<Arc<dyn AccessTokens>, BuildError> {
    match &settings.tokens {
        TokenSource::Static { parameter } => Ok(Arc::new(StaticAccessToken::new(
            deps.store.clone(),
            parameter.clone(),
        ))),
        TokenSource::OAuth { client, parameters } => {
            let tuning = ManagerConfig {
                use_shared_token: settings.auth.use_shared_token,
                ..deps.tuning.clone()
            };
            let endpoint =
                TokenEndpoint::new(settings.auth.refresh_endpoint.clone(), tuning.token_timeout)
                    .map_err(|e| BuildError::TokenEndpoint(e.to_string()))?;
            Ok(Arc::new(TokenManager::new(
                deps.store.clone(),
                deps.clock.clone(),
                endpoint,
                parameters.clone(),
                client.clone(),
                tuning,
            )))
        }
    }
}

/// A [`MemoryStore`] seeded from a flat JSON object file `{"NAME": "value", …}`: a
/// fixture for local Lambda runs (`cargo lambda watch`) via `PSEUDOPROXY_SECRETS_FILE`.
pub fn memory_store_from_file(path: &std::path::Path) -> Result<MemoryStore, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read secrets file {}: {e}", path.display()))?;
    let values: std::collections::BTreeMap<String, String> = serde_json::from_str(&text)
        .map_err(|_| format!("{} is not a JSON object of strings", path.display()))?;
    let pairs: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Ok(MemoryStore::with(&pairs))
}

/// Everything the state is built from, kept so that it can be built again from the store
/// (a reload, [`super::live`]): the environment, the seams to the outside world and the
/// command line's overrides. Each build reads the configuration afresh.
#[derive(Clone)]
pub struct Rebuilder {
    pub env: Env,
    pub store: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub upstream: Arc<dyn Upstream>,
    pub overrides: Overrides,
    pub tuning: ManagerConfig,
    pub local_access: LocalAccess,
}

impl Rebuilder {
    /// Resolves the settings and builds the state, with `shipped_rules` for the rules.
    pub async fn build_with(&self, shipped_rules: ShippedRules) -> Result<AppState, BuildError> {
        let settings = config::resolve(
            self.env.clone(),
            self.store.clone(),
            self.clock.clone(),
            self.overrides.clone(),
        )
        .await;
        let deps = Dependencies {
            store: self.store.clone(),
            clock: self.clock.clone(),
            upstream: self.upstream.clone(),
            shipped_rules,
            tuning: self.tuning.clone(),
            local_access: self.local_access.clone(),
        };
        build(deps, settings).await
    }

    /// The rebuild a [`LiveState`] calls: a fresh state, or `None` when it cannot be
    /// built (the running one stays).
    pub fn rebuild(&self) -> Rebuild {
        let me = self.clone();
        Arc::new(move || {
            let me = me.clone();
            Box::pin(async move { me.build_with(ShippedRules::Embedded).await.ok() })
        })
    }

    /// The first state, served with reloads as `policy` says.
    pub async fn live(
        &self,
        shipped_rules: ShippedRules,
        policy: ReloadPolicy,
    ) -> Result<Arc<LiveState>, BuildError> {
        let state = self.build_with(shipped_rules).await?;
        Ok(LiveState::reloading(state, self.rebuild(), policy))
    }
}

/// The Lambda front door's state: SSM Parameter Store or Secrets Manager (`SECRETS_STORE`,
/// honouring `AWS_ENDPOINT_URL`), or the `PSEUDOPROXY_SECRETS_FILE` fixture for local runs.
///
/// The shipped rules are compiled on the blocking pool meanwhile: CPU work that overlaps
/// building the SSM client and waiting for the settings.
pub async fn lambda_state() -> Result<Arc<LiveState>, String> {
    let (rebuilder, shipped_rules) = lambda_parts(Env::from_process()).await?;
    rebuilder
        .live(shipped_rules, ReloadPolicy::default())
        .await
        .map_err(|e| e.to_string())
}

/// The first state of a Lambda instance for the environment `env` (without reloads).
pub async fn lambda_state_from(env: Env) -> Result<AppState, String> {
    let (rebuilder, shipped_rules) = lambda_parts(env).await?;
    rebuilder
        .build_with(shipped_rules)
        .await
        .map_err(|e| e.to_string())
}

/// Why the Lambda runtime client could not start in `env`, one line per variable (names
/// only, never a value); empty when it can. lambda_runtime 1.5 reads
/// `AWS_LAMBDA_RUNTIME_API` (an address it turns into a URI), `AWS_LAMBDA_FUNCTION_NAME`,
/// `AWS_LAMBDA_FUNCTION_VERSION` and `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (a whole number) as
/// it starts and panics without them; Lambda always sets them, so a gap means the binary
/// was started by hand with `AWS_LAMBDA_RUNTIME_API` set, and deserves a sentence rather
/// than a panic.
pub fn lambda_runtime_env_problems(env: &Env) -> Vec<String> {
    use crate::config::names::{
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE as MEMORY, AWS_LAMBDA_FUNCTION_NAME,
        AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_RUNTIME_API as RUNTIME_API,
    };
    let mut problems = Vec::new();
    match env.get(RUNTIME_API) {
        None => problems.push(format!("{RUNTIME_API} is unset or empty")),
        Some(value) if value.parse::<axum::http::Uri>().is_err() => {
            problems.push(format!("{RUNTIME_API} is not a host:port address"));
        }
        Some(_) => {}
    }
    for name in [AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION] {
        if env.get(name).is_none() {
            problems.push(format!("{name} is unset or empty"));
        }
    }
    match env.get(MEMORY) {
        None => problems.push(format!("{MEMORY} is unset or empty")),
        Some(value) if value.parse::<i32>().is_err() => {
            problems.push(format!("{MEMORY} is not a whole number of megabytes"));
        }
        Some(_) => {}
    }
    problems
}

async fn lambda_parts(env: Env) -> Result<(Rebuilder, ShippedRules), String> {
    let shipped_rules = ShippedRules::compile_in_background();
    let store: Arc<dyn SecretStore> = match env.get(PSEUDOPROXY_SECRETS_FILE) {
        Some(path) => Arc::new(memory_store_from_file(std::path::Path::new(path))?),
        None => config::store::AwsStore::from_env(&env)?.open(&env).await,
    };
    let upstream: Arc<dyn Upstream> = Arc::new(ReqwestUpstream::new().map_err(|e| e.to_string())?);
    let rebuilder = Rebuilder {
        env,
        store,
        clock: Arc::new(SystemClock),
        upstream,
        overrides: Overrides::default(),
        tuning: ManagerConfig::default(),
        local_access: LocalAccess::NotLocal,
    };
    Ok((rebuilder, shipped_rules))
}

#[cfg(test)]
#[path = "startup_tests.rs"]
mod tests;
