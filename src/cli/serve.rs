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
use crate::config::Env;
use crate::proxy::{self, AppState, ReqwestUpstream, bootstrap};
use crate::secrets::{FileStore, MemoryStore, SecretStore, SsmStore};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Rules file (default: the shipped Confluence rules, embedded in the binary).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Base URL of the Confluence-shaped upstream (default: TARGET_HOST or api.atlassian.com).
    #[arg(long)]
    pub upstream: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Secrets: a JSON file of parameter name → value (PSOXY_SALT, ACCESS_TOKEN, …), or `ssm`.
    #[arg(long)]
    pub secrets: Option<String>,
    /// Offline demo: built-in Confluence simulator, random salt, no account needed.
    #[arg(long)]
    pub demo: bool,
    /// Bearer token every request must carry (required for a non-loopback --listen).
    #[arg(long, env = "PSEUDOPROXY_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Confluence cloud id: `/wiki/...` is served as `/ex/confluence/<id>/wiki/...`.
    #[arg(long)]
    pub cloud_id: Option<String>,
}

/// Directory of the demo's secret file.
const DEMO_DIR: &str = ".pseudoproxy-demo";

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    if !args.listen.ip().is_loopback() && args.auth_token.is_none() {
        return Err(CliError::Usage(format!(
            "refusing to listen on {} without --auth-token (or PSEUDOPROXY_AUTH_TOKEN): \
             a non-loopback proxy must require a bearer token",
            args.listen
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))?;
    proxy::logging::init();
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let mut upstream = args.upstream.clone();
    let mut cloud_id = args.cloud_id.clone();
    let mut secrets = args.secrets.clone();
    if args.demo {
        let simulator = demo::start_simulator().await?;
        upstream.get_or_insert(format!("http://{simulator}"));
        cloud_id.get_or_insert(demo::DEMO_CLOUD_ID.to_owned());
        let file = demo::ensure_demo_secrets(Path::new(DEMO_DIR)).await?;
        secrets.get_or_insert(file.display().to_string());
    }
    let store = secret_store(secrets.as_deref()).await;
    let state = build_state(&args, upstream, cloud_id, store).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {}: {e}", args.listen)))?;
    print_banner(&args, &state);
    let app = proxy::app(Arc::new(state)).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::Usage(format!("server failed: {e}")))
}

/// `--secrets ssm` (SSM Parameter Store, honouring `AWS_ENDPOINT_URL`), `--secrets FILE`
/// (the local file store: JSON, mode 0600, atomic writes), or nothing (in memory).
async fn secret_store(spec: Option<&str>) -> Arc<dyn SecretStore> {
    match spec {
        Some("ssm") => Arc::new(SsmStore::from_env(&Env::from_process()).await),
        Some(path) => Arc::new(FileStore::new(path)),
        None => Arc::new(MemoryStore::with(&[])),
    }
}

async fn build_state(
    args: &ServeArgs,
    upstream: Option<String>,
    cloud_id: Option<String>,
    store: Arc<dyn SecretStore>,
) -> Result<AppState, CliError> {
    // Lambda-only naming (function-name prefix, function-name path segment) does not
    // apply to a local server.
    let mut env = Env::from_process()
        .without("AWS_LAMBDA_FUNCTION_NAME")
        .without("AWS_LAMBDA_RUNTIME_API");
    if let Some(upstream) = &upstream {
        env = env.with("TARGET_HOST", upstream);
    }
    if let Some(cloud_id) = &cloud_id {
        env = env.with("CONFLUENCE_CLOUD_ID", cloud_id);
    }
    let rules_file = match &args.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
            let origin = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Some((origin, text))
        }
        None => None,
    };
    let client = ReqwestUpstream::new().map_err(|e| CliError::Usage(e.to_string()))?;
    let mut state = bootstrap::state_for(env, store, Arc::new(client), rules_file).await;
    state.local_auth_token = args.auth_token.clone();
    Ok(state)
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
