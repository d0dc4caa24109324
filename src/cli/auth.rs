//! `pseudoproxy auth`: the Atlassian consent bootstrap for a new token family.
//!
//! Prints the app setup steps and exact scopes, builds the authorize URL with a random
//! `state`, takes the redirect on a one-shot `http://localhost:<port>/callback` (or, with
//! `--no-browser`, as a pasted URL on stdin), exchanges the code, lets the operator pick
//! the site from accessible-resources, and stores `CLIENT_ID`, `CLIENT_SECRET`,
//! `REFRESH_TOKEN` and `TOKEN_FAMILY` under `--prefix` in SSM or the local file.
//!
//! Invariant: the client secret, codes and tokens are never echoed or printed; the secret
//! comes from `PSEUDOPROXY_CLIENT_SECRET`, a no-echo prompt on a terminal, or one stdin
//! line otherwise.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::CliError;
use crate::auth::consent::{self, Consent, DEFAULT_AUTHORIZE_URL, SCOPES};
use crate::auth::endpoint::Site;
use crate::auth::{TokenEndpoint, epoch_millis};
use crate::config::Env;
use crate::secrets::{FileStore, SecretStore};

#[derive(Debug, Args)]
pub struct AuthArgs {
    /// OAuth client id of the Atlassian app (else PSEUDOPROXY_CLIENT_ID, else prompted).
    #[arg(long, env = "PSEUDOPROXY_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Where to store the new token family (required: there is no safe default):
    /// `ssm` (SSM Parameter Store), `secrets-manager` (AWS Secrets Manager), or the path of
    /// a local secrets file (JSON object of name → value, what `serve --store FILE` reads;
    /// `file` means `--file`). The AWS stores honour AWS_ENDPOINT_URL and the usual
    /// credential chain.
    #[arg(long, alias = "secrets")]
    pub store: String,
    /// The local secrets file for `--store file`.
    #[arg(long, default_value = "pseudoproxy-secrets.json", hide = true)]
    pub file: PathBuf,
    /// Parameter name prefix the proxy reads (`PATH_TO_INSTANCE_CONFIG`, the Terraform
    /// output `instance_prefix`), e.g. `PSOXY_CONFLUENCE_CLOUD_` or `/psoxy/confluence/`.
    /// Required and non-empty for `ssm` and `secrets-manager`.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// AWS region of the store (else AWS_REGION / the profile's region).
    #[arg(long)]
    pub region: Option<String>,
    /// KMS key (id, alias or ARN) that encrypts what is written (PSOXY_KMS_KEY_ID, the
    /// Terraform output of the module's key); else the store's default key.
    #[arg(long, env = "PSOXY_KMS_KEY_ID")]
    pub kms_key_id: Option<String>,
    /// Local callback port; register `http://localhost:<port>/callback` in the app.
    #[arg(long, default_value_t = 8976)]
    pub port: u16,
    /// Do not listen for the callback: paste the redirect URL from the browser instead.
    #[arg(long)]
    pub no_browser: bool,
    /// The site to use, by name or cloud id (else a numbered prompt; one site is taken).
    #[arg(long)]
    pub site: Option<String>,
    /// Authorize endpoint (tests point it at a mock).
    #[arg(long, default_value = DEFAULT_AUTHORIZE_URL, hide = true)]
    pub authorize_url: String,
    /// Token endpoint (tests point it at a mock).
    #[arg(
        long,
        env = crate::config::names::REFRESH_ENDPOINT,
        default_value = "https://auth.atlassian.com/oauth/token",
        hide = true
    )]
    pub token_url: String,
    /// API base for accessible-resources (tests point it at a mock).
    #[arg(long, default_value = "https://api.atlassian.com", hide = true)]
    pub api_base: String,
}

pub(super) fn run(args: AuthArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(consent_flow(args))
}

async fn consent_flow(args: AuthArgs) -> Result<(), CliError> {
    let target = StoreTarget::of(&args)?;
    // Before anything an operator does in a browser: a new family that cannot be stored
    // is a family lost (its first refresh token exists only in this process).
    let store = target.open(&args).await;
    check_store(&store, &args.prefix, &target).await?;
    let redirect_uri = format!("http://localhost:{}/callback", args.port);
    print_setup(&redirect_uri);
    let mut stdin = std::io::stdin().lock();
    let client_id = match &args.client_id {
        Some(id) => id.clone(),
        None => prompt_line(&mut stdin, "OAuth client id: ")?,
    };
    let client_secret = read_secret(&mut stdin)?;
    let state = consent::random_state();
    let url = consent::authorize_url(&args.authorize_url, &client_id, &redirect_uri, &state)
        .map_err(usage)?;
    // Bind before printing, so a fast browser cannot race the listener.
    let listener = match args.no_browser {
        true => None,
        false => Some(
            tokio::net::TcpListener::bind(("127.0.0.1", args.port))
                .await
                .map_err(|e| {
                    CliError::Usage(format!("cannot listen on port {}: {e}", args.port))
                })?,
        ),
    };
    println!("\nOpen this URL in a browser and approve access:\n{url}\n");
    let code = match listener {
        Some(listener) => {
            println!("Waiting for the redirect to {redirect_uri} …");
            flush();
            tokio::time::timeout(
                Duration::from_secs(600),
                consent::await_callback(listener, &state),
            )
            .await
            .map_err(|_| CliError::Usage("no redirect within 10 minutes".into()))?
        }
        None => {
            let pasted = prompt_line(
                &mut stdin,
                "Paste the full URL the browser was redirected to: ",
            )?;
            consent::code_from_redirect(&pasted, &state)
        }
    }
    .map_err(usage)?;
    let endpoint = TokenEndpoint::new(&args.token_url, Duration::from_secs(30))
        .map_err(|e| usage(e.into()))?;
    let grant = endpoint
        .exchange_code(&client_id, &client_secret, &code, &redirect_uri)
        .await
        .map_err(|e| usage(e.into()))?;
    let refresh_token = grant.refresh_token.clone().ok_or_else(|| {
        CliError::Usage("the token endpoint returned no refresh token: is `offline_access` among the app's scopes?".into())
    })?;
    let sites = endpoint
        .accessible_resources(&args.api_base, &grant.access_token)
        .await
        .map_err(|e| usage(e.into()))?;
    let site = choose_site(&sites, args.site.as_deref(), &mut stdin)?;
    let consent = Consent {
        client_id,
        client_secret,
        refresh_token,
        issued_at: epoch_millis(std::time::SystemTime::now()),
    };
    let clock: Arc<dyn crate::clock::Clock> = Arc::new(crate::clock::SystemClock);
    let written = consent::store_consent(&store, &args.prefix, &consent, clock)
        .await
        .map_err(usage)?;
    println!("Stored (values not shown): {}", written.join(", "));
    println!("Site: {} ({})", site.name, site.url);
    println!("cloudId: {}", site.id);
    println!("Set CONFLUENCE_CLOUD_ID={} for the proxy.", site.id);
    Ok(())
}

fn print_setup(redirect_uri: &str) {
    println!("Atlassian app setup (once, at https://developer.atlassian.com/console/myapps/):");
    println!("  1. Create → OAuth 2.0 integration; name it e.g. \"pseudoproxy confluence\".");
    println!("  2. Permissions → Confluence API → Add, then Configure → Edit scopes (granular)");
    println!("     and select exactly these scopes:");
    for scope in SCOPES.iter().filter(|s| **s != "offline_access") {
        println!("       {scope}");
    }
    println!("     (offline_access is requested by this command; it yields the refresh token.)");
    println!("  3. Authorization → OAuth 2.0 (3LO) → Callback URL: {redirect_uri}");
    println!("  4. Settings → copy the Client ID and Secret.");
    flush();
}

fn flush() {
    let _ = std::io::stdout().flush();
}

fn usage(error: crate::auth::AuthError) -> CliError {
    CliError::Usage(error.to_string())
}

fn prompt_line(stdin: &mut impl BufRead, prompt: &str) -> Result<String, CliError> {
    print!("{prompt}");
    flush();
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(format!("cannot read stdin: {e}")))?;
    let line = line.trim().to_owned();
    match line.is_empty() {
        true => Err(CliError::Usage(format!(
            "no input for: {}",
            prompt.trim_end_matches([' ', ':'])
        ))),
        false => Ok(line),
    }
}

/// The client secret: `PSOXY…` env, a no-echo terminal prompt, or one stdin line.
fn read_secret(stdin: &mut impl BufRead) -> Result<String, CliError> {
    if let Some(secret) = Env::from_process()
        .get("PSEUDOPROXY_CLIENT_SECRET")
        .filter(|s| !s.trim().is_empty())
    {
        return Ok(secret.trim().to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return prompt_line(stdin, "OAuth client secret (read from stdin, not echoed): ");
    }
    // `stty -echo` on the controlling terminal: no extra dependency for a one-off prompt.
    let echo = |on: bool| {
        std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !echo(false) {
        return Err(CliError::Usage(
            "cannot turn off terminal echo; set PSEUDOPROXY_CLIENT_SECRET instead".into(),
        ));
    }
    let secret = prompt_line(stdin, "OAuth client secret (not echoed): ");
    echo(true);
    println!();
    secret
}

fn choose_site(
    sites: &[Site],
    wanted: Option<&str>,
    stdin: &mut impl BufRead,
) -> Result<Site, CliError> {
    if sites.is_empty() {
        return Err(CliError::Usage(
            "the consent grants no site: did you pick one on the consent screen?".into(),
        ));
    }
    if let Some(wanted) = wanted {
        return sites
            .iter()
            .find(|s| s.id == wanted || s.name.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| CliError::Usage(format!("no granted site named or with id {wanted}")));
    }
    if let [only] = sites {
        return Ok(only.clone());
    }
    println!("Sites this consent grants:");
    for (i, site) in sites.iter().enumerate() {
        println!(
            "  {}. {} ({}) cloudId {}",
            i + 1,
            site.name,
            site.url,
            site.id
        );
    }
    let choice = prompt_line(stdin, "Site number: ")?;
    choice
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| sites.get(i))
        .cloned()
        .ok_or_else(|| CliError::Usage(format!("not a site number: {choice}")))
}

/// Where `--store` says the family goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StoreTarget {
    Aws(crate::config::store::AwsStore),
    File(PathBuf),
}

impl StoreTarget {
    /// Reads `--store` and refuses what would put a family where no proxy looks.
    fn of(args: &AuthArgs) -> Result<StoreTarget, CliError> {
        use crate::config::store::AwsStore;
        let target = match args.store.trim() {
            "" => {
                return Err(CliError::Usage(
                    "--store must name ssm, secrets-manager or a file".into(),
                ));
            }
            "ssm" => StoreTarget::Aws(AwsStore::ParameterStore),
            "secrets-manager" => StoreTarget::Aws(AwsStore::SecretsManager),
            "file" => StoreTarget::File(args.file.clone()),
            path => StoreTarget::File(PathBuf::from(path)),
        };
        if matches!(target, StoreTarget::Aws(_)) && args.prefix.trim().is_empty() {
            return Err(CliError::Usage(
                "--prefix is required with an AWS store: give the instance prefix the proxy reads (Terraform output instance_prefix, e.g. PSOXY_CONFLUENCE_CLOUD_); without it the tokens would land at the store's root where the function never looks".into(),
            ));
        }
        Ok(target)
    }

    async fn open(&self, args: &AuthArgs) -> Arc<dyn SecretStore> {
        match self {
            StoreTarget::Aws(aws) => {
                aws.open_with(args.kms_key_id.clone(), args.region.as_deref())
                    .await
            }
            StoreTarget::File(path) => Arc::new(FileStore::new(path)),
        }
    }
}

/// Proves the store takes a write under `prefix` (credentials, region, KMS key) by taking
/// and releasing the instance's refresh lock — the parameter the proxy itself writes —
/// before the consent screen.
async fn check_store(
    store: &Arc<dyn SecretStore>,
    prefix: &str,
    target: &StoreTarget,
) -> Result<(), CliError> {
    let lock = crate::auth::RefreshLock {
        store: store.clone(),
        name: crate::config::full_name(prefix, crate::config::names::REFRESH_LOCK),
        clock: Arc::new(crate::clock::SystemClock),
        wait: Duration::from_secs(30),
        poll: Duration::from_millis(200),
    };
    let where_ = match target {
        StoreTarget::Aws(aws) => format!("{aws:?}"),
        StoreTarget::File(path) => path.display().to_string(),
    };
    // A read first: an unreachable store or missing credentials fail at once, not after
    // the lock's wait.
    if let Err(error) = store.get(&lock.name).await {
        return Err(CliError::Usage(format!(
            "cannot write to the store ({where_}, prefix `{prefix}`) — check credentials, --region and --kms-key-id before consenting: {error}"
        )));
    }
    match lock.acquire().await {
        Ok(guard) => {
            guard.release().await;
            println!("Store checked: {where_} accepts writes under prefix `{prefix}`.");
            Ok(())
        }
        Err(error) => Err(CliError::Usage(format!(
            "cannot write to the store ({where_}, prefix `{prefix}`) — check credentials, --region and --kms-key-id before consenting: {error}"
        ))),
    }
}
