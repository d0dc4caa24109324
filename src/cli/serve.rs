//! `pseudoproxy serve`: the proxy pipeline as a local HTTP server, and `--demo`.
//!
//! Binds 127.0.0.1:8080 by default. A non-loopback address requires a bearer token
//! (`--auth-token` / `PSEUDOPROXY_AUTH_TOKEN`) that every request must carry: there is no
//! open-proxy mode. Settings come from the environment (as on Lambda) overlaid by the
//! flags; secrets from `--secrets FILE` (a JSON object of parameter name → value).
//! `--demo` starts the Confluence simulator and a local secret file (see `demo`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::CliError;
use super::demo;
use crate::auth::ManagerConfig;
use crate::config::names::{
    AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_RUNTIME_API, CONFLUENCE_CLOUD_ID, PATH_TO_INSTANCE_CONFIG,
    PSEUDOPROXY_AUTH_TOKEN, TARGET_HOST,
};
use crate::config::{self, Env, Overrides, RulesChoice, SystemClock};
use crate::proxy::live::ReloadPolicy;
use crate::proxy::startup::Rebuilder;
use crate::proxy::{self, AppState, LocalAccess, ReqwestUpstream, ShippedRules};
use crate::secrets::{FileStore, MemoryStore, SecretStore};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Rules file (default: the shipped Confluence rules, embedded in the binary).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Base URL of the Confluence-shaped upstream (default: TARGET_HOST or api.atlassian.com).
    #[arg(long, visible_alias = "api-base", value_name = "URL")]
    pub upstream: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where settings and secrets are read (and the rotated refresh token written): the
    /// path of a local secrets file (JSON object of parameter name → value, mode 0600, as
    /// `auth --store FILE` writes it), `ssm` (SSM Parameter Store) or `secrets-manager`
    /// (AWS Secrets Manager); the AWS stores honour AWS_ENDPOINT_URL and the usual
    /// credential chain. Default: in memory (nothing configured).
    #[arg(long, visible_alias = "store", value_name = "FILE|ssm|secrets-manager")]
    pub secrets: Option<String>,
    /// Parameter name prefix of this instance (PATH_TO_INSTANCE_CONFIG, the Terraform
    /// output `instance_parameter_prefix`), e.g. `PSOXY_CONFLUENCE_CLOUD_`; the same as
    /// `auth --prefix`. Default: the bare names of a local secrets file.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Offline demo: built-in Confluence simulator, random salt, no account needed.
    #[arg(long)]
    pub demo: bool,
    /// Bearer token every request must carry (required for a non-loopback --listen); the
    /// same value `call --token` and `export --token` send.
    #[arg(long, visible_alias = "token", env = PSEUDOPROXY_AUTH_TOKEN, hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Confluence cloud id: `/wiki/...` is served as `/ex/confluence/<id>/wiki/...`.
    #[arg(long)]
    pub cloud_id: Option<String>,
}

/// A non-loopback proxy requires a bearer token, and a token must be long enough not to
/// be guessed (an empty `PSOXY_…`-style variable left blank is a mistake, not a choice).
fn check_access(args: &ServeArgs) -> Result<(), CliError> {
    match &args.auth_token {
        Some(token) if token.len() < MIN_AUTH_TOKEN_BYTES => Err(CliError::Usage(format!(
            "--auth-token (or PSEUDOPROXY_AUTH_TOKEN) must be at least {MIN_AUTH_TOKEN_BYTES} \
             bytes (e.g. `openssl rand -hex 16`); an empty or short token would protect nothing"
        ))),
        None if !args.listen.ip().is_loopback() => Err(CliError::Usage(format!(
            "refusing to listen on {} without --auth-token (or PSEUDOPROXY_AUTH_TOKEN): \
             a non-loopback proxy must require a bearer token",
            args.listen
        ))),
        _ => Ok(()),
    }
}

/// Directory of the demo's secret file.
const DEMO_DIR: &str = ".pseudoproxy-demo";

/// Shortest `--auth-token` accepted: 32 bytes (e.g. `openssl rand -hex 16`).
const MIN_AUTH_TOKEN_BYTES: usize = 32;

pub(super) fn run(args: ServeArgs) -> Result<(), CliError> {
    check_access(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))?;
    proxy::logging::init();
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let rebuilder = serve_parts(&args, Env::from_process(), Path::new(DEMO_DIR)).await?;
    let live = rebuilder
        .live(ShippedRules::Embedded, ReloadPolicy::default())
        .await
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {}: {e}", args.listen)))?;
    print_banner(&args, &live.now());
    let app = proxy::live_app(live.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| CliError::Usage(format!("server failed: {e}")));
    // A refresh started by a request runs detached from it; let it store the rotated
    // refresh token before the runtime (and the task with it) is dropped.
    live.settle().await;
    served
}

/// Ctrl-C, or SIGTERM (what a service manager or container runtime sends).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The first state `serve` runs with (see [`serve_parts`]).
#[cfg(test)]
async fn serve_state(args: &ServeArgs, env: Env, demo_dir: &Path) -> Result<AppState, CliError> {
    serve_parts(args, env, demo_dir)
        .await?
        .build_with(ShippedRules::Embedded)
        .await
        .map_err(|e| CliError::Usage(e.to_string()))
}

/// What `serve` builds its state from, for the process environment `env`: with `--demo`,
/// the simulator is started and the demo's secret file created in `demo_dir` first.
async fn serve_parts(args: &ServeArgs, env: Env, demo_dir: &Path) -> Result<Rebuilder, CliError> {
    let mut upstream = args.upstream.clone();
    let mut cloud_id = args.cloud_id.clone();
    let mut secrets = args.secrets.clone();
    if args.demo {
        let simulator = demo::start_simulator().await?;
        upstream.get_or_insert(format!("http://{simulator}"));
        cloud_id.get_or_insert(demo::DEMO_CLOUD_ID.to_owned());
        let file = demo::ensure_demo_secrets(demo_dir).await?;
        secrets.get_or_insert(file.display().to_string());
    }
    let store = secret_store(secrets.as_deref(), &env).await;
    // Lambda-only naming (function-name prefix, function-name path segment) does not
    // apply to a local server.
    let mut env = env
        .without(AWS_LAMBDA_FUNCTION_NAME)
        .without(AWS_LAMBDA_RUNTIME_API);
    if let Some(upstream) = &upstream {
        env = env.with(TARGET_HOST, upstream);
    }
    if let Some(cloud_id) = &cloud_id {
        env = env.with(CONFLUENCE_CLOUD_ID, cloud_id);
    }
    if let Some(prefix) = &args.prefix {
        env = env.with(PATH_TO_INSTANCE_CONFIG, prefix);
    }
    let overrides = Overrides {
        rules: args.rules.as_deref().map(rules_file).transpose()?,
    };
    let client = ReqwestUpstream::new().map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Rebuilder {
        env,
        store,
        clock: Arc::new(SystemClock),
        upstream: Arc::new(client),
        overrides,
        tuning: ManagerConfig::default(),
        local_access: match &args.auth_token {
            Some(token) => LocalAccess::Bearer(token.clone()),
            None => LocalAccess::LoopbackHostOnly,
        },
    })
}

/// `--secrets ssm` (SSM Parameter Store, honouring `AWS_ENDPOINT_URL`), `--secrets
/// secrets-manager` (AWS Secrets Manager), `--secrets FILE`
/// (the local file store: JSON, mode 0600, atomic writes), or nothing (in memory).
async fn secret_store(spec: Option<&str>, env: &Env) -> Arc<dyn SecretStore> {
    match spec {
        Some("ssm") => config::store::AwsStore::ParameterStore.open(env).await,
        Some("secrets-manager") => config::store::AwsStore::SecretsManager.open(env).await,
        Some(path) => Arc::new(FileStore::new(path)),
        None => Arc::new(MemoryStore::with(&[])),
    }
}

/// `serve --rules FILE`: the file's text, named by its file name in diagnostics.
fn rules_file(path: &Path) -> Result<RulesChoice, CliError> {
    let yaml = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let origin = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(RulesChoice::Custom { origin, yaml })
}

fn print_banner(args: &ServeArgs, state: &AppState) {
    let base = format!("http://{}", args.listen);
    let auth = match args.auth_token {
        Some(_) => " -H \"Authorization: Bearer $PSEUDOPROXY_AUTH_TOKEN\"",
        None => "",
    };
    println!("pseudoproxy {} listening on {base}", proxy::VERSION);
    println!("upstream: {}", state.settings.upstream_base);
    if !state.settings.missing.is_empty() {
        println!(
            "missing configuration: {}",
            state.settings.missing.join(", ")
        );
    }
    if let Err(diagnostics) = &state.rules {
        println!("rules invalid (every request will get 500 RULES_INVALID):\n{diagnostics}");
    }
    if args.demo {
        println!(
            "demo mode: a built-in Confluence simulator serves example data; secrets in {DEMO_DIR}/"
        );
    }
    println!("\ntry:");
    println!("  curl -s{auth} -H 'X-Psoxy-Health-Check: true' '{base}/'");
    println!(
        "  curl -s{auth} '{base}/wiki/api/v2/spaces?limit=3&description-format=plain&sort=id'"
    );
    println!("  curl -s{auth} '{base}/wiki/api/v2/tasks?limit=3'");
    println!("  curl -s{auth} --compressed '{base}/wiki/rest/api/group?limit=3&start=0'");
    println!("  curl -si{auth} '{base}/wiki/api/v2/pages/65538/body'   # not in the rules: 403");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    //! `serve` and `serve --demo` build their state through the proxy's one constructor;
    //! the states answer a health check and (demo) a data call through the pipeline.

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    fn args(demo: bool, secrets: Option<String>) -> ServeArgs {
        ServeArgs {
            rules: None,
            upstream: None,
            listen: "127.0.0.1:0".parse().unwrap(),
            secrets,
            prefix: None,
            demo,
            auth_token: None,
            cloud_id: None,
        }
    }

    async fn get(state: AppState, uri: &str, health: bool) -> (StatusCode, String) {
        get_from(state, uri, health, "127.0.0.1:8080").await
    }

    async fn get_from(
        state: AppState,
        uri: &str,
        health: bool,
        host: &str,
    ) -> (StatusCode, String) {
        let mut request = Request::builder().uri(uri).header("host", host);
        if health {
            request = request.header("x-psoxy-health-check", "true");
        }
        let response = proxy::app(Arc::new(state))
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn serve_with_a_secrets_file_builds_a_serving_state() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secrets.json");
        let store = FileStore::new(&file);
        store.put("PSOXY_SALT", "serve-salt").await.unwrap();
        store
            .put("PSOXY_ENCRYPTION_KEY", "serve-key")
            .await
            .unwrap();
        store.put("ACCESS_TOKEN", "serve-token").await.unwrap();
        let env = Env::from_pairs(&[("AWS_LAMBDA_FUNCTION_NAME", "ignored-locally")]);
        let state = serve_state(
            &args(false, Some(file.display().to_string())),
            env,
            dir.path(),
        )
        .await
        .unwrap();
        assert_eq!(state.settings.pseudonym.salt, "serve-salt");
        assert_eq!(state.settings.function_name, None, "Lambda naming is off");
        assert_eq!(state.tokens.bearer().await.unwrap(), "serve-token");
        let (status, body) = get(state, "/", true).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    #[tokio::test]
    async fn demo_serves_sanitized_example_data() {
        let dir = tempfile::tempdir().unwrap();
        let state = serve_state(&args(true, None), Env::default(), dir.path())
            .await
            .unwrap();
        assert!(dir.path().join("secrets.json").exists());
        let uri = "/wiki/api/v2/spaces?limit=3&description-format=plain&sort=id";
        let (status, body) = get(state, uri, false).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"authorId\":\"t~"), "{body}");
        let state = serve_state(&args(true, None), Env::default(), dir.path())
            .await
            .unwrap();
        let (status, body) = get(state, "/", true).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A browser page can make `evil.example` resolve to 127.0.0.1 (DNS rebinding): a
    /// loopback `serve` without a token answers only loopback host names.
    #[tokio::test]
    async fn a_loopback_serve_without_a_token_refuses_foreign_host_names() {
        let dir = tempfile::tempdir().unwrap();
        let uri = "/wiki/api/v2/spaces?limit=3&description-format=plain&sort=id";
        for (host, allowed) in [
            ("localhost:8080", true),
            ("127.0.0.1", true),
            ("[::1]:8080", true),
            ("LOCALHOST", true),
            ("evil.example", false),
            ("evil.example:8080", false),
            ("127.0.0.1.evil.example", false),
            ("", false),
        ] {
            let state = serve_state(&args(true, None), Env::default(), dir.path())
                .await
                .unwrap();
            let (status, body) = get_from(state, uri, false, host).await;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "Host {host:?}: {body}");
            if !allowed {
                assert!(!body.contains("t~"), "{body}");
            }
        }
    }

    #[test]
    fn tokens_that_protect_nothing_are_usage_errors() {
        let with = |listen: &str, token: Option<&str>| ServeArgs {
            listen: listen.parse().unwrap(),
            auth_token: token.map(str::to_owned),
            ..args(false, None)
        };
        let long = "0123456789abcdef0123456789abcdef";
        let cases = [
            ("0.0.0.0:8080", None, false),
            ("0.0.0.0:8080", Some(""), false),
            ("0.0.0.0:8080", Some("hunter2"), false),
            ("127.0.0.1:8080", Some(""), false),
            ("0.0.0.0:8080", Some(long), true),
            ("127.0.0.1:8080", None, true),
        ];
        for (listen, token, ok) in cases {
            let outcome = check_access(&with(listen, token));
            assert_eq!(outcome.is_ok(), ok, "{listen} {token:?}");
            if let Err(error) = outcome {
                assert!(matches!(error, CliError::Usage(_)));
                assert!(!error.to_string().contains("hunter2"), "{error}");
            }
        }
    }
}
