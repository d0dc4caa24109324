//! The authenticated GET both `call` and `export` use: SigV4 for a Lambda function URL,
//! a bearer token for a local `serve`, or nothing.
//!
//! SigV4 is chosen when the host is a function URL (`*.lambda-url.<region>.on.aws`) or when
//! `--region`/`--role` is given; credentials come from the standard AWS chain, optionally
//! through an assumed role, and are re-resolved for every request (the providers cache and
//! refresh them, so a long export survives credential expiry).

use std::time::SystemTime;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use super::{SignError, SigningScope, region_from_host, sign_headers};

/// Errors of the calling layer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallerError {
    #[error("invalid URL {url}: {reason}")]
    Url { url: String, reason: String },
    #[error("no AWS region: pass --region (the URL host is not <id>.lambda-url.<region>.on.aws)")]
    NoRegion,
    #[error("no AWS credentials found in the standard chain (env, profile, SSO, IMDS…)")]
    NoCredentials,
    #[error("cannot get AWS credentials: {0}")]
    Credentials(String),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("request to {url} failed: {reason}")]
    Http { url: String, reason: String },
}

/// How requests are authenticated.
#[derive(Clone)]
pub(crate) enum Auth {
    None,
    Bearer(String),
    SigV4 {
        provider: SharedCredentialsProvider,
        region: String,
    },
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthOptions {
    pub token: Option<String>,
    pub role: Option<String>,
    pub region: Option<String>,
}

/// Sends authenticated GETs.
#[derive(Clone)]
pub(crate) struct Caller {
    client: reqwest::Client,
    auth: Auth,
}

pub(crate) fn parse_url(url: &str) -> Result<reqwest::Url, CallerError> {
    reqwest::Url::parse(url).map_err(|e| CallerError::Url {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

impl Caller {
    /// Chooses the authentication for requests to `base`. `auto_gzip`: let the client ask
    /// for gzip and decode transparently (export); `call` handles `--gzip` itself.
    pub(crate) async fn new(
        base: &reqwest::Url,
        options: &AuthOptions,
        auto_gzip: bool,
    ) -> Result<Self, CallerError> {
        Self::build(base, options, auto_gzip, None).await
    }

    /// [`Caller::new`] whose connections must open within `connect_timeout` (export: a
    /// proxy that never accepts is a retried failure, not a hang).
    pub(crate) async fn with_connect_timeout(
        base: &reqwest::Url,
        options: &AuthOptions,
        auto_gzip: bool,
        connect_timeout: std::time::Duration,
    ) -> Result<Self, CallerError> {
        Self::build(base, options, auto_gzip, Some(connect_timeout)).await
    }

    async fn build(
        base: &reqwest::Url,
        options: &AuthOptions,
        auto_gzip: bool,
        connect_timeout: Option<std::time::Duration>,
    ) -> Result<Self, CallerError> {
        let host_region = base.host_str().and_then(region_from_host);
        let wants_sigv4 =
            host_region.is_some() || options.region.is_some() || options.role.is_some();
        let auth = match (wants_sigv4, &options.token) {
            (true, _) => {
                let region = options
                    .region
                    .clone()
                    .or(host_region)
                    .ok_or(CallerError::NoRegion)?;
                let provider = credentials_provider(&region, options.role.as_deref()).await?;
                Auth::SigV4 { provider, region }
            }
            (false, Some(token)) => Auth::Bearer(token.clone()),
            (false, None) => Auth::None,
        };
        let tls = crate::tls::client_config().map_err(|e| CallerError::Http {
            url: base.to_string(),
            reason: e.to_string(),
        })?;
        let builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(concat!("pseudoproxy-caller/", env!("CARGO_PKG_VERSION")));
        let builder = if auto_gzip {
            builder
        } else {
            builder.no_gzip()
        };
        let builder = match connect_timeout {
            Some(timeout) => builder.connect_timeout(timeout),
            None => builder,
        };
        let client = builder.build().map_err(|e| CallerError::Http {
            url: base.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Caller { client, auth })
    }

    /// A short description for banners: `SigV4 (lambda, us-east-1)`, `bearer token`, `none`.
    pub(crate) fn describe(&self) -> String {
        match &self.auth {
            Auth::None => "no authentication".to_owned(),
            Auth::Bearer(_) => "bearer token".to_owned(),
            Auth::SigV4 { region, .. } => format!("AWS SigV4 (lambda, {region})"),
        }
    }

    /// GET `url` with `headers` (lower-case names), authenticated.
    pub(crate) async fn get(
        &self,
        url: &reqwest::Url,
        headers: &[(String, String)],
    ) -> Result<reqwest::Response, CallerError> {
        let mut all = headers.to_vec();
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(token) => all.push(("authorization".into(), format!("Bearer {token}"))),
            Auth::SigV4 { provider, region } => {
                let credentials = provider
                    .provide_credentials()
                    .await
                    .map_err(|e| CallerError::Credentials(e.to_string()))?;
                let scope = SigningScope {
                    region,
                    service: "lambda",
                    time: SystemTime::now(),
                };
                let added = sign_headers("GET", url, headers, b"", &credentials, &scope)?;
                all.extend(added);
            }
        }
        let mut request = self.client.get(url.clone());
        for (name, value) in &all {
            request = request.header(name, value);
        }
        request.send().await.map_err(|e| CallerError::Http {
            url: url.to_string(),
            reason: error_chain(&e),
        })
    }
}

/// The standard chain for `region`, through an assumed role when `role` is given.
async fn credentials_provider(
    region: &str,
    role: Option<&str>,
) -> Result<SharedCredentialsProvider, CallerError> {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .load()
        .await;
    let base = config
        .credentials_provider()
        .ok_or(CallerError::NoCredentials)?;
    Ok(match role {
        None => base,
        Some(arn) => SharedCredentialsProvider::new(
            aws_config::sts::AssumeRoleProvider::builder(arn)
                .session_name("pseudoproxy-caller")
                .region(Region::new(region.to_owned()))
                .configure(&config)
                .build()
                .await,
        ),
    })
}

/// `reqwest` errors hide the cause (connection refused, DNS…) in their source chain.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
