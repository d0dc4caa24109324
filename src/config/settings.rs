//! Assembles [`ProxySettings`] from resolved settings (docs/configuration.md).
//!
//! Invariants: a required setting that is absent is listed in `missing` by name (the
//! proxy then refuses to serve and the health check says why); a present but malformed
//! setting is a [`ConfigError::Invalid`] naming it; store failures propagate (a
//! transient one is retryable). Nothing here copies a value into a message.

use super::names::{self, *};
use super::resolve::{ConfigResolver, Source};
use super::{
    AuthSettings, AuthStrategy, ClientCredentials, ConfigError, ProxySettings, RulesChoice,
    TokenParameters, TokenSource, parse, rules_param,
};
use crate::pseudonym::PseudonymConfig;

/// Defaults (docs/configuration.md).
pub(crate) const DEFAULT_TARGET_HOST: &str = "api.atlassian.com";
pub(crate) const DEFAULT_SOURCE: &str = "confluence";
/// Psoxy's default upstream timeout; the Terraform module sizes the Lambda timeout to
/// fit it (docs/oauth.md, "Sizing the Lambda timeout").
pub(crate) const DEFAULT_REQUEST_TIMEOUT_SECONDS: u64 = 180;

/// What reading the settings noticed beyond the values themselves.
#[derive(Default)]
struct Notes {
    missing: Vec<String>,
    warnings: Vec<String>,
}

impl ConfigResolver {
    /// Resolves every setting the request pipeline needs.
    pub async fn settings(&self) -> Result<ProxySettings, ConfigError> {
        self.prefetch(&names::read_at_start()).await;
        let mut notes = Notes::default();
        let lambda = self.env().is_lambda();
        let target = self.value(TARGET_HOST, &mut notes).await?;
        let target = target.as_deref().unwrap_or(DEFAULT_TARGET_HOST);
        let upstream_base = parse::upstream_base(target, lambda).map_err(invalid(TARGET_HOST))?;
        if upstream_base.starts_with("http://") {
            notes
                .warnings
                .push("TARGET_HOST is plain http (allowed only outside Lambda)".into());
        }
        let timeout = self.value(REQUEST_TIMEOUT_SECONDS, &mut notes).await?;
        let auth = self.auth(lambda, &mut notes).await?;
        Ok(ProxySettings {
            source: (self.value(SOURCE, &mut notes).await?)
                .unwrap_or_else(|| DEFAULT_SOURCE.into()),
            upstream_base,
            request_timeout: match timeout {
                Some(t) => parse::timeout_seconds(&t).map_err(invalid(REQUEST_TIMEOUT_SECONDS))?,
                None => std::time::Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECONDS),
            },
            development_mode: self.flag(IS_DEVELOPMENT_MODE, false, &mut notes).await?,
            confluence_cloud_id: self
                .parsed(CONFLUENCE_CLOUD_ID, parse::cloud_id, &mut notes)
                .await?,
            allowed_ip_blocks: self
                .allow_list(ALLOWED_DATA_ACCESS_IP_BLOCKS, parse::ip_blocks, &mut notes)
                .await?,
            allowed_caller_arns: self
                .allow_list(ALLOWED_CALLER_ARNS, parse::caller_arns, &mut notes)
                .await?,
            path_prefix: parse::path_prefix(self.env().get(PATH_PREFIX))
                .map_err(invalid(PATH_PREFIX))?,
            expected_rules_sha: self
                .env()
                .get(CUSTOM_RULES_SHA)
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty()),
            function_name: self.env().get(AWS_LAMBDA_FUNCTION_NAME).map(str::to_owned),
            pseudonym: self.pseudonym(&mut notes).await?,
            rules: self.rules(&mut notes).await?,
            tokens: self.token_source(auth.strategy, &mut notes).await,
            auth,
            missing: notes.missing,
            warnings: notes.warnings,
            config_last_modified: self.latest_change(),
        })
    }

    async fn pseudonym(&self, notes: &mut Notes) -> Result<PseudonymConfig, ConfigError> {
        let salt = self.required(PSOXY_SALT, notes).await?;
        let canonicalization = self.value(EMAIL_CANONICALIZATION, notes).await?;
        let domains = self.value(EMAIL_DOMAIN_HANDLING, notes).await?;
        Ok(PseudonymConfig {
            salt: salt.unwrap_or_default(),
            encryption_key: self.value(PSOXY_ENCRYPTION_KEY, notes).await?,
            salt_ip: self.value(SALT_IP, notes).await?,
            encryption_key_ip: self.value(ENCRYPTION_KEY_IP, notes).await?,
            salt_email_domains: self.value(SALT_EMAIL_DOMAINS, notes).await?,
            encryption_key_email_domains: self.value(ENCRYPTION_KEY_EMAIL_DOMAINS, notes).await?,
            email_canonicalization: match canonicalization {
                Some(v) => v.parse().map_err(|_| {
                    ConfigError::invalid(EMAIL_CANONICALIZATION, "expected STRICT or IGNORE_DOTS")
                })?,
                None => Default::default(),
            },
            email_domain_handling: match domains {
                Some(v) => v.parse().map_err(|_| {
                    ConfigError::invalid(
                        EMAIL_DOMAIN_HANDLING,
                        "expected PRESERVE, REDACT, TOKENIZE or ENCRYPT",
                    )
                })?,
                None => Default::default(),
            },
        })
    }

    async fn rules(&self, notes: &mut Notes) -> Result<RulesChoice, ConfigError> {
        let lookup = self.lookup(RULES, false).await?;
        self.note(&lookup, RULES, notes);
        let Some((value, source)) = lookup.value else {
            return Ok(RulesChoice::Shipped);
        };
        let yaml = rules_param::decode_rules(&value).map_err(invalid(RULES))?;
        let origin = match source {
            Source::Env => format!("env {RULES}"),
            Source::Parameter(name) => name,
        };
        Ok(RulesChoice::Custom { origin, yaml })
    }

    /// Under `oauth2_refresh_token`, the OAuth token manager when an OAuth client or a
    /// refresh token is configured (absent pieces are noted as missing, by name);
    /// otherwise — no `CLIENT_ID` and no `REFRESH_TOKEN`, as with `serve --demo` or a
    /// hand-placed token — the static `ACCESS_TOKEN`.
    async fn token_source(&self, strategy: AuthStrategy, notes: &mut Notes) -> TokenSource {
        let static_token = TokenSource::Static {
            parameter: self.instance_name(ACCESS_TOKEN),
        };
        if strategy != AuthStrategy::OAuth2RefreshToken {
            return static_token;
        }
        let client_id = self.get(CLIENT_ID).await;
        let client_secret = self.get(CLIENT_SECRET).await;
        // A store error here counts as "configured": the manager reports it per request.
        let refresh_present = self.instance_parameter_configured(REFRESH_TOKEN).await;
        if matches!(client_id, Ok(None)) && !refresh_present {
            return static_token;
        }
        let mut value_of = |short: &str, found: Result<Option<String>, ConfigError>| match found {
            Ok(Some(value)) => value,
            Ok(None) => {
                notes.missing.push(short.to_owned());
                String::new()
            }
            Err(error) => {
                notes
                    .missing
                    .push(format!("{short} (unreadable at start-up: {error})"));
                String::new()
            }
        };
        let client = ClientCredentials {
            id: value_of(CLIENT_ID, client_id),
            secret: value_of(CLIENT_SECRET, client_secret),
        };
        if !refresh_present {
            notes.missing.push(REFRESH_TOKEN.to_owned());
        }
        TokenSource::OAuth {
            client,
            parameters: TokenParameters::under(self.instance_prefix()),
        }
    }

    async fn auth(&self, lambda: bool, notes: &mut Notes) -> Result<AuthSettings, ConfigError> {
        let defaults = AuthSettings::default();
        let refresh_endpoint = match self.value(REFRESH_ENDPOINT, notes).await? {
            Some(url) => parse::upstream_base(&url, lambda).map_err(invalid(REFRESH_ENDPOINT))?,
            None => defaults.refresh_endpoint,
        };
        let strategy = match self.value(SOURCE_AUTH_STRATEGY_IDENTIFIER, notes).await? {
            Some(v) => AuthStrategy::parse(&v).map_err(invalid(SOURCE_AUTH_STRATEGY_IDENTIFIER))?,
            None => defaults.strategy,
        };
        Ok(AuthSettings {
            strategy,
            grant_type: (self.value(GRANT_TYPE, notes).await?).unwrap_or(defaults.grant_type),
            refresh_endpoint,
            use_shared_token: self
                .flag(USE_SHARED_TOKEN, defaults.use_shared_token, notes)
                .await?,
        })
    }

    /// An optional setting's value, noting anything worth a warning.
    async fn value(&self, short: &str, notes: &mut Notes) -> Result<Option<String>, ConfigError> {
        let lookup = self.lookup(short, false).await?;
        self.note(&lookup, short, notes);
        Ok(lookup.value.map(|(v, _)| v))
    }

    /// A required setting: absent → listed in `missing` (with why, when access was denied).
    async fn required(
        &self,
        short: &str,
        notes: &mut Notes,
    ) -> Result<Option<String>, ConfigError> {
        let lookup = self.lookup(short, false).await?;
        self.note(&lookup, short, notes);
        if lookup.value.is_none() {
            notes.missing.push(short.to_owned());
            for name in &lookup.denied {
                notes
                    .warnings
                    .push(format!("access to parameter {name} denied"));
            }
        }
        Ok(lookup.value.map(|(v, _)| v))
    }

    /// An allow-list setting. Unlike other optional settings, a parameter the store
    /// refused to read is not "absent": an allow-list that exists but cannot be read must
    /// not open the proxy to every caller, so the setting is listed as missing (the proxy
    /// refuses data, the health check says why). A failed read fails the settings.
    async fn allow_list<T>(
        &self,
        short: &str,
        parse: fn(&str) -> Result<T, String>,
        notes: &mut Notes,
    ) -> Result<Option<T>, ConfigError> {
        let lookup = self.lookup(short, false).await?;
        self.note(&lookup, short, notes);
        match lookup.value {
            Some((value, _)) => parse(&value).map(Some).map_err(invalid(short)),
            None if !lookup.denied.is_empty() => {
                notes.missing.push(format!(
                    "{short} (access to {} denied; an allow-list that cannot be read fails closed)",
                    lookup.denied.join(", ")
                ));
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn flag(
        &self,
        short: &str,
        default: bool,
        notes: &mut Notes,
    ) -> Result<bool, ConfigError> {
        match self.value(short, notes).await? {
            Some(v) => parse::boolean(&v).map_err(invalid(short)),
            None => Ok(default),
        }
    }

    async fn parsed<T>(
        &self,
        short: &str,
        parse: fn(&str) -> Result<T, String>,
        notes: &mut Notes,
    ) -> Result<Option<T>, ConfigError> {
        match self.value(short, notes).await? {
            Some(v) => parse(&v).map(Some).map_err(invalid(short)),
            None => Ok(None),
        }
    }

    fn note(&self, lookup: &super::resolve::Lookup, short: &str, notes: &mut Notes) {
        if lookup.ignored_env {
            notes.warnings.push(format!(
                "secret {short} is set in the environment; ignored in Lambda (use the parameter store)"
            ));
        }
    }
}

fn invalid(setting: &str) -> impl Fn(String) -> ConfigError + '_ {
    move |reason| ConfigError::invalid(setting, reason)
}
