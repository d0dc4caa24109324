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
use crate::proxy::{self, AppState, ReqwestUpstream, StaticAccessToken, bootstrap};
use crate::secrets::SecretStore;

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
        let file = demo::ensure_demo_secrets(Path::new(DEMO_DIR))?;
        secrets.get_or_insert(file.display().to_string());
    }
    let store = secret_store(secrets.as_deref())?;
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

/// SEAM: the file store and the SSM store of the secrets module plug in here.
fn secret_store(spec: Option<&str>) -> Result<Arc<dyn SecretStore>, CliError> {
    match spec {
        Some("ssm") => Err(CliError::Usage(
            "--secrets ssm is not available in this build yet; use --secrets FILE".to_owned(),
        )),
        Some(path) => bootstrap::memory_store_from_file(Path::new(path))
            .map(|store| Arc::new(store) as Arc<dyn SecretStore>)
            .map_err(CliError::Usage),
        None => Ok(Arc::new(crate::secrets::MemoryStore::with(&[]))),
    }
}

async fn build_state(
    args: &ServeArgs,
    upstream: Option<String>,
    cloud_id: Option<String>,
    store: Arc<dyn SecretStore>,
) -> Result<AppState, CliError> {
    let overlay = move |name: &str| match name {
        "TARGET_HOST" if upstream.is_some() => upstream.clone(),
        "CONFLUENCE_CLOUD_ID" if cloud_id.is_some() => cloud_id.clone(),
        // Lambda-only naming does not apply to a local server.
        "AWS_LAMBDA_FUNCTION_NAME" => None,
        other => bootstrap::process_env(other),
    };
    let mut settings = bootstrap::settings_from_env(&overlay, store.as_ref()).await;
    if let Some(path) = &args.rules {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
        let origin = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        settings.custom_rules = Some((origin, text));
    }
    let token_parameter = format!("{}ACCESS_TOKEN", bootstrap::instance_prefix(&overlay));
    let client = ReqwestUpstream::new().map_err(|e| CliError::Usage(e.to_string()))?;
    let tokens = Arc::new(StaticAccessToken::new(store, token_parameter));
    let mut state = AppState::new(settings, bootstrap::DEFAULT_RULES, Arc::new(client), tokens);
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
