//! The caller is the adversary (docs/threat-model.md): authenticated, allowed by IAM, and
//! probing. Each test here is one side door a caller could use to learn what the rules
//! hide, tried through the whole proxy against a wiremock Confluence that records every
//! request; each must stay shut.

use std::sync::Arc;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use pseudoproxy::pseudonym::Pseudonymizer;

use crate::proxy_support::*;

const SEARCH: &str = "/wiki/rest/api/content/search";

/// A Confluence that answers every request with `template` and records them.
async fn confluence(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

async fn requests_seen(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

fn pseudonymizer() -> Pseudonymizer {
    Pseudonymizer::new(settings("").pseudonym)
}

fn empty_page() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(r#"{"results":[],"_links":{}}"#, "application/json")
}

/// Every way a canary could travel inside a response: raw, percent-encoded, base64.
fn encodings(canary: &str) -> Vec<String> {
    vec![
        canary.to_owned(),
        pseudoproxy::percent::encode(canary),
        pseudoproxy::percent::encode(canary).to_lowercase(),
        canary.replace(' ', "+"),
        STANDARD.encode(canary),
        URL_SAFE_NO_PAD.encode(canary),
        serde_json::to_string(canary).unwrap(),
    ]
}

fn assert_no_canary(reply: &Reply, canaries: &[&str], what: &str) {
    let everything = format!("{}\n{:?}", reply.text(), reply.headers);
    for canary in canaries {
        for spelling in encodings(canary) {
            assert!(
                !everything.contains(&spelling),
                "{what}: {spelling:?} reached the caller:\n{everything}"
            );
        }
    }
}

/// `p~` token bytes built with the deployment's key but a hash of another value: what a
/// padding oracle would let a caller construct. The proxy issues no such token.
fn forged_token(claimed_hash_of: &str, original: &str) -> String {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(ENCRYPTION_KEY.as_bytes(), SALT.as_bytes(), 65_536, &mut key);
    let hash: [u8; 32] = Sha256::digest(format!("{claimed_hash_of}{SALT}")).into();
    let iv: [u8; 16] = hash[..16].try_into().unwrap();
    let cipher = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into());
    let plain = original.as_bytes();
    let mut buffer = plain.to_vec();
    buffer.resize((plain.len() / 16 + 1) * 16, 0);
    let ciphertext = cipher
        .encrypt_padded_mut::<Pkcs7>(&mut buffer, plain.len())
        .unwrap();
    let mut bytes = hash.to_vec();
    bytes.extend_from_slice(ciphertext);
    format!("p~{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The padding oracle: every variation of every IV byte of a valid token gets the same
/// 409 with a byte-identical body, and nothing reaches the source. Tokens forged with the
/// key but the wrong hash — with originals that would be a dot segment, a path or a new
/// query parameter — are refused alike.
#[tokio::test]
async fn every_invalid_token_gets_one_identical_409_and_never_reaches_upstream() {
    let server = confluence(empty_page()).await;
    let state = state(&server.uri()).await;
    let token = pseudonymizer().tokenize("557058:ana-souza").unwrap();
    let ok = invoke(
        state.clone(),
        &Event::get(&format!("{SPACES}?favorited-by={token}")),
    )
    .await;
    assert_eq!(ok.status, 200, "the valid token itself: {}", ok.text());
    assert_eq!(requests_seen(&server).await, 1);

    let bytes = URL_SAFE_NO_PAD.decode(&token[2..]).unwrap();
    let mut answers = std::collections::BTreeSet::new();
    let mut variations = 0;
    for position in 0..16 {
        for value in 0..=255u8 {
            if bytes[position] == value {
                continue;
            }
            let mut altered = bytes.clone();
            altered[position] = value;
            let forged = format!("p~{}", URL_SAFE_NO_PAD.encode(&altered));
            let reply = invoke(
                state.clone(),
                &Event::get(&format!("{SPACES}?favorited-by={forged}")),
            )
            .await;
            answers.insert((
                reply.status,
                reply.error_code().map(str::to_owned),
                reply.text(),
            ));
            variations += 1;
        }
    }
    assert_eq!(variations, 16 * 255);
    assert_eq!(answers.len(), 1, "answers differ: {answers:?}");
    let (status, code, _) = answers.into_iter().next().unwrap();
    assert_eq!(
        (status.as_u16(), code.as_deref()),
        (409, Some("TOKENIZED_REQUEST_PARAMETER_INVALID"))
    );

    for hostile in [
        "..",
        "../../admin",
        "a/b",
        "x?y=1",
        "a&limit=1000",
        "x#y",
        "a%2e%2e",
    ] {
        let forged = forged_token("557058:ana-souza", hostile);
        for url in [
            format!("{SPACES}?favorited-by={forged}"),
            format!("/wiki/api/v2/pages/{forged}/versions"),
        ] {
            let reply = invoke(state.clone(), &Event::get(&url)).await;
            assert!(
                matches!(reply.status.as_u16(), 403 | 409),
                "{hostile:?} in {url}: {} {}",
                reply.status,
                reply.text()
            );
        }
        // The proxy's own token for such a value is valid, and still goes upstream
        // encoded whole: never a dot segment or a new parameter.
        let issued = pseudonymizer().tokenize(hostile).unwrap();
        let reply = invoke(
            state.clone(),
            &Event::get(&format!("{SPACES}?favorited-by={issued}")),
        )
        .await;
        assert_eq!(reply.status, 200, "{hostile:?}: {}", reply.text());
    }
    let upstream = server.received_requests().await.unwrap();
    assert_eq!(
        upstream.len(),
        1 + 7,
        "only valid tokens reached the source"
    );
    for request in &upstream[1..] {
        let query = request.url.query().unwrap_or_default();
        assert_eq!(query.matches('&').count(), 0, "a new parameter: {query}");
        assert!(!request.url.path().contains(".."), "{}", request.url);
        assert!(query.starts_with("favorited-by="), "{query}");
    }
}

/// Upstream error bodies quote the request and name people; the caller gets only the
/// allow-listed rebuild of the error, whatever the status and the shape.
#[tokio::test]
async fn upstream_error_bodies_never_carry_canaries() {
    let original = "557058:zz-canary-account";
    let token = pseudonymizer().tokenize(original).unwrap();
    let canaries = [
        original,
        "ana.canary@acme-widgets.example",
        "Ana Canary",
        "712020:zz-second-canary",
        "Zebra Canary Title",
    ];
    let bodies = [
        (400, format!(r#"{{"statusCode":400,"data":{{"authorized":true,"valid":false,"errors":[{{"message":{{"key":"x","args":["{}"]}}}}],"successful":false}},"message":"Could not parse cql : creator = \"{original}\" and title ~ \"Zebra Canary Title\" (Ana Canary, ana.canary@acme-widgets.example)","reason":"Bad Request"}}"#, canaries[1])),
        (404, format!(r#"{{"errors":[{{"status":404,"code":"NOT_FOUND","title":"Cannot find user {original} (Ana Canary)","detail":"ana.canary@acme-widgets.example"}}]}}"#)),
        (500, r#"{"statusCode":500,"message":"IOException executing cql : contributor = \"712020:zz-second-canary\""}"#.to_owned()),
        (403, r#"{"statusCode":403,"message":"Not permitted to use confluence : Ana Canary"}"#.to_owned()),
        (401, r#"{"code":401,"message":"Unauthorized for ana.canary@acme-widgets.example"}"#.to_owned()),
        (502, "<html>Ana Canary ana.canary@acme-widgets.example</html>".to_owned()),
    ];
    for (status, body) in bodies {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(SPACES_FULL))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_raw(body.clone(), "application/json")
                    .append_header("x-canary", "Ana Canary"),
            )
            .mount(&server)
            .await;
        let url = format!("{SPACES}?favorited-by={token}&limit=2");
        let reply = invoke(state(&server.uri()).await, &Event::get(&url)).await;
        assert_eq!(reply.status, status, "{body}");
        assert_eq!(reply.error_code(), Some("API_ERROR"));
        assert!(serde_json::from_str::<serde_json::Value>(&reply.text()).is_ok());
        assert_no_canary(&reply, &canaries, &format!("upstream {status}"));
    }
}

/// A cursor carries the last item's sort values: sealed, the caller never reads them.
/// Sorting and ordering by a personal field is refused before the source is called.
#[tokio::test]
async fn cursors_and_sort_keys_leak_nothing() {
    let canary = "Ana Canary";
    let sort_part = STANDARD.encode(format!(r#"[1644202505000,"{canary}"]"#));
    let cursor = format!("_f_MjU%3D_sa_{}", pseudoproxy::percent::encode(&sort_part));
    let body = format!(
        r#"{{"results":[],"start":0,"limit":25,"size":0,"_links":{{"next":"/wiki/rest/api/content/search?next=true&cursor={cursor}&cql=type%3Dpage","base":"https://acme.example/wiki"}}}}"#
    );
    let server = confluence(
        ResponseTemplate::new(200)
            .set_body_raw(body, "application/json")
            .append_header(
                "link",
                format!("</wiki/rest/api/content/search?cursor={cursor}>; rel=\"next\"").as_str(),
            ),
    )
    .await;
    let state = state(&server.uri()).await;
    let reply = invoke(
        state.clone(),
        &Event::get(&format!("{SEARCH}?cql=type%3Dpage")),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_no_canary(&reply, &[canary, &sort_part], "sealed cursor");
    let next = reply.json()["_links"]["next"].as_str().unwrap().to_owned();
    assert!(next.contains("cursor=c~"), "{next}");
    // Following the sealed link sends the source exactly the cursor it issued.
    let follow = invoke(state.clone(), &Event::get(&next)).await;
    assert_eq!(follow.status, 200, "{}", follow.text());
    let sent = server.received_requests().await.unwrap();
    let last = sent
        .last()
        .unwrap()
        .url
        .query()
        .unwrap_or_default()
        .to_owned();
    assert!(last.contains(&format!("cursor={cursor}")), "{last}");

    let before = requests_seen(&server).await;
    let refused = [
        format!("{SPACES}?sort=name"),
        format!("{SPACES}?sort=-key"),
        format!("{SEARCH}?cql=type%3Dpage+order+by+title"),
        format!("{SEARCH}?cql=type%3Dpage+order+by+creator"),
        // A cursor the caller wrote (to seek by a field the rules refuse) is not sealed.
        format!("{SPACES}?cursor=eyJpZCI6IjEiLCJjb250ZW50T3JkZXIiOiJuYW1lIn0"),
        format!("{SPACES}?cursor=c~{}", "A".repeat(60)),
    ];
    for url in refused {
        let reply = invoke(state.clone(), &Event::get(&url)).await;
        assert!(
            matches!(reply.status.as_u16(), 403 | 409),
            "{url}: {}",
            reply.status
        );
    }
    assert_eq!(
        requests_seen(&server).await,
        before,
        "refused requests reached the source"
    );
}

/// CQL is a grammar: each query admitted or refused as docs/rules.md ("CQL") says; a
/// refused one never reaches the source.
#[tokio::test]
async fn cql_is_admitted_or_refused_as_documented() {
    let token = pseudonymizer().tokenize("~557058:ana-souza").unwrap();
    // (cql, admitted)
    let table: Vec<(String, bool)> = vec![
        (
            "lastmodified>=2025-08-01 AND lastmodified<=2025-09-29".into(),
            true,
        ),
        (
            r#"lastmodified>=2025-08-01 AND lastmodified<=2025-09-29 AND space="ENG""#.into(),
            true,
        ),
        (
            format!(r#"lastmodified>=2025-08-01 AND lastmodified<=2025-09-29 AND space="{token}""#),
            true,
        ),
        (
            r#"type=page AND space in ("ENG","OPS") order by lastmodified desc"#.into(),
            true,
        ),
        (
            "type in (page, blogpost) and created > \"2024-01-01 09:30\"".into(),
            true,
        ),
        (
            "(type = page OR type = blogpost) AND ancestor = 65538".into(),
            true,
        ),
        ("id in (1, 2, 3) order by id".into(), true),
        ("Type = Page".into(), false),
        ("TYPE = page ORDER BY CREATED ASC".into(), true),
        (r#"text ~ "layoff""#.into(), false),
        (r#"title ~ "reorg""#.into(), false),
        (r#"type = page AND text ~ "layoff""#.into(), false),
        (r#"creator = "557058:ana-souza""#.into(), false),
        ("creator = currentUser()".into(), false),
        (r#"contributor = "557058:x""#.into(), false),
        (r#"lastmodified > now("-4w")"#.into(), false),
        ("type = page order by title".into(), false),
        ("type = page order by creator".into(), false),
        ("order by id".into(), false),
        ("NOT type = page".into(), false),
        ("type != page".into(), false),
        (r#"space = "A\" OR text ~ \"x""#.into(), false),
        ("space = 'A' OR text ~ 'x'".into(), false),
        (r#"space = "ENG"#.into(), false),
        (r#"space="A"text~"x""#.into(), false),
        ("ｔｅｘｔ ~ \"x\"".into(), false),
        ("tеxt ~ \"x\"".into(), false),
        ("type\u{a0}= page".into(), false),
        ("type = page\u{0}".into(), false),
        (
            format!("{}type = page{}", "(".repeat(17), ")".repeat(17)),
            false,
        ),
        (
            format!("{}type = page{}", "(".repeat(3), ")".repeat(3)),
            true,
        ),
        (
            format!("type = page AND space in ({})", vec!["ENG"; 600].join(",")),
            false,
        ),
        ("type = page AND".into(), false),
        ("()".into(), false),
        ("".into(), false),
        ("space = p~short".into(), false),
        ("space = EMPTY".into(), false),
        ("lastmodified ~ \"2025\"".into(), false),
        ("space.key = ENG".into(), false),
    ];
    assert!(table.len() >= 30);
    let server = confluence(empty_page()).await;
    let state = state(&server.uri()).await;
    let mut admitted = 0;
    for (cql, expected) in &table {
        let before = requests_seen(&server).await;
        let url = format!(
            "{SEARCH}?cql={}&limit=30",
            pseudoproxy::percent::encode(cql)
        );
        let reply = invoke(state.clone(), &Event::get(&url)).await;
        let after = requests_seen(&server).await;
        match expected {
            true => {
                assert_eq!(reply.status, 200, "{cql:?} refused: {}", reply.text());
                assert_eq!(after, before + 1, "{cql:?}");
                admitted += 1;
            }
            false => {
                assert_eq!(reply.status, 403, "{cql:?} admitted");
                assert_eq!(reply.error_code(), Some("BLOCKED_BY_RULES"), "{cql:?}");
                assert_eq!(after, before, "{cql:?} reached the source");
            }
        }
    }
    // The personal-space key went upstream as the original, quoted as the caller quoted it.
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sent.len(), admitted);
    assert!(
        sent.iter().any(|q| q.contains("%22~557058%3Aana-souza%22")
            || q.contains("%22%7E557058%3Aana-souza%22")),
        "{sent:?}"
    );
}

/// A caller-supplied parameter name never reaches the logs (it could be a name or an
/// email); neither does an extension method.
#[tokio::test]
async fn caller_chosen_names_never_reach_the_logs() {
    let server = confluence(empty_page()).await;
    let state = state(&server.uri()).await;
    let canary = "ana.canary.logname";
    let reply = invoke(state.clone(), &Event::get(&format!("{SPACES}?{canary}=1"))).await;
    assert_eq!(reply.status, 403);
    let reply = invoke(
        state.clone(),
        &Event::get(&format!("{SPACES}?limit=1")).method("ANACANARYMETHOD"),
    )
    .await;
    assert_eq!(reply.status, 403);
    let logs = captured_logs();
    assert!(!logs.contains(canary), "{logs}");
    assert!(!logs.to_lowercase().contains("anacanarymethod"), "{logs}");
}

/// The health check sits behind the allow-lists: a caller outside them learns nothing.
#[tokio::test]
async fn the_health_check_is_behind_the_allow_lists() {
    let mut s = settings("http://127.0.0.1:9");
    s.allowed_caller_arns = Some(vec!["arn:aws:iam::123456789012:role/someone-else".into()]);
    let reply = invoke(
        Arc::new(state_with(s).await),
        &Event::get("/").header("x-psoxy-health-check", "deep"),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error_code(), Some("UNAUTHORIZED_CALLER"));
    assert!(!reply.text().contains("saltSha256Hash"), "{}", reply.text());
}

/// `serve` cannot be opened by accident: an empty token with a public address is a usage
/// error, and a loopback `serve` without a token refuses a request addressed to another
/// host name (a browser page that made `evil.example` resolve to 127.0.0.1).
#[tokio::test]
async fn serve_cannot_be_opened_by_accident() {
    let dir = tempfile::tempdir().unwrap();
    let empty = crate::support::run_cli(
        &["serve", "--listen", "0.0.0.0:0"],
        &[("PSEUDOPROXY_AUTH_TOKEN", "")],
        "",
        dir.path(),
    );
    assert_eq!(
        empty.status.code(),
        Some(2),
        "{}",
        crate::support::stderr(&empty)
    );
    let short = crate::support::run_cli(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--auth-token",
            "hunter2",
        ],
        &[],
        "",
        dir.path(),
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(!crate::support::stderr(&short).contains("hunter2"));

    let server = confluence(empty_page()).await;
    let (_child, base) = crate::export_support::spawn_serve(&server.uri(), dir.path()).await;
    let client = reqwest::Client::new();
    let url = format!("{base}{SPACES_FULL}?limit=1");
    let foreign = client
        .get(&url)
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert_eq!(foreign.headers()["x-psoxy-error"], "UNAUTHORIZED_CALLER");
    assert_eq!(requests_seen(&server).await, 0);
    let local = client.get(&url).send().await.unwrap();
    assert_eq!(local.status(), 200, "{}", local.text().await.unwrap());
}

/// A store in front of the SSM-compatible server that fails every read of names ending
/// in `suffix` the given way; everything else goes to the real server.
#[derive(Debug)]
struct FailingReads {
    inner: Arc<dyn pseudoproxy::secrets::SecretStore>,
    suffix: &'static str,
    denied: bool,
}

impl FailingReads {
    fn failure(&self, name: &str) -> Option<pseudoproxy::secrets::SecretError> {
        let name = name.to_owned();
        name.ends_with(self.suffix).then(|| match self.denied {
            true => pseudoproxy::secrets::SecretError::AccessDenied { name },
            false => pseudoproxy::secrets::SecretError::Transient {
                name,
                reason: "timed out".into(),
            },
        })
    }
}

#[async_trait::async_trait]
impl pseudoproxy::secrets::SecretStore for FailingReads {
    async fn get(
        &self,
        name: &str,
    ) -> Result<Option<pseudoproxy::secrets::Parameter>, pseudoproxy::secrets::SecretError> {
        match self.failure(name) {
            Some(error) => Err(error),
            None => self.inner.get(name).await,
        }
    }
    async fn put(&self, name: &str, value: &str) -> Result<i64, pseudoproxy::secrets::SecretError> {
        self.inner.put(name, value).await
    }
    async fn create_if_absent(
        &self,
        name: &str,
        value: &str,
    ) -> Result<bool, pseudoproxy::secrets::SecretError> {
        self.inner.create_if_absent(name, value).await
    }
    async fn delete(&self, name: &str) -> Result<(), pseudoproxy::secrets::SecretError> {
        self.inner.delete(name).await
    }
}

/// An allow-list that exists but cannot be read (access denied, or a timeout) is never
/// "no allow-list": the proxy serves no data, and the health check names the setting.
#[tokio::test]
async fn an_unreadable_allow_list_keeps_the_proxy_from_serving() {
    if !crate::oauth_moto::moto_is_up() {
        return;
    }
    let ssm: Arc<dyn pseudoproxy::secrets::SecretStore> =
        Arc::new(pseudoproxy::secrets::SsmStore::connect(None).await);
    let prefix = format!("/pseudoproxy-test/allow-{:016x}/", rand::random::<u64>());
    for (short, value) in [
        ("PSOXY_SALT", SALT),
        ("PSOXY_ENCRYPTION_KEY", ENCRYPTION_KEY),
        ("ACCESS_TOKEN", ACCESS_TOKEN),
        (
            "ALLOWED_CALLER_ARNS",
            "arn:aws:iam::123456789012:role/worklytics-caller",
        ),
    ] {
        ssm.put(&format!("{prefix}{short}"), value).await.unwrap();
    }
    let server = confluence(empty_page()).await;
    for denied in [true, false] {
        let store: Arc<dyn pseudoproxy::secrets::SecretStore> = Arc::new(FailingReads {
            inner: ssm.clone(),
            suffix: "ALLOWED_CALLER_ARNS",
            denied,
        });
        let env = pseudoproxy::config::Env::from_pairs(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("PATH_TO_INSTANCE_CONFIG", &prefix),
            ("PATH_TO_SHARED_CONFIG", &prefix),
            ("TARGET_HOST", &server.uri()),
            ("CONFLUENCE_CLOUD_ID", CLOUD_ID),
        ]);
        let clock: Arc<dyn pseudoproxy::config::Clock> = Arc::new(pseudoproxy::config::SystemClock);
        let settings = pseudoproxy::config::resolve(
            env,
            store.clone(),
            clock.clone(),
            pseudoproxy::config::Overrides::default(),
        )
        .await;
        let deps = pseudoproxy::proxy::Dependencies {
            store,
            clock,
            upstream: Arc::new(pseudoproxy::proxy::ReqwestUpstream::new().unwrap()),
            shipped_rules: pseudoproxy::proxy::ShippedRules::Embedded,
            tuning: pseudoproxy::auth::ManagerConfig::default(),
            local_access: pseudoproxy::proxy::LocalAccess::NotLocal,
        };
        let state = Arc::new(pseudoproxy::proxy::build(deps, settings).await.unwrap());
        let health_check = Event::get("/").header("x-psoxy-health-check", "");
        let data = invoke(state.clone(), &Event::get(&format!("{SPACES}?limit=1"))).await;
        assert_eq!(data.status, 500, "denied={denied}: {}", data.text());
        assert_eq!(data.error_code(), Some("CONNECTION_SETUP"));
        let health = invoke(state.clone(), &health_check).await;
        assert_eq!(health.status, 412, "denied={denied}: {}", health.text());
        assert!(
            health.text().contains("ALLOWED_CALLER_ARNS"),
            "{}",
            health.text()
        );
    }
    assert_eq!(requests_seen(&server).await, 0, "no data left the source");
}

/// A lower-case method is not a way around the method check or the no-body-on-GET rule:
/// the request is judged, and sent, as `GET`.
#[tokio::test]
async fn a_method_spelled_otherwise_is_judged_and_sent_as_the_standard_one() {
    let server = confluence(empty_page()).await;
    let state = state(&server.uri()).await;
    let url = format!("{SPACES}?limit=3");
    for method in ["get", "Get", "hEAD"] {
        let with_body = Event::get(&url)
            .method(method)
            .body(r#"{"title":"x"}"#, false);
        let reply = invoke(state.clone(), &with_body).await;
        assert_eq!(reply.status, 400, "{method} with a body: {}", reply.text());
    }
    assert_eq!(requests_seen(&server).await, 0);
    let reply = invoke(state.clone(), &Event::get(&url).method("get")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method.as_str(), "GET");
    assert!(sent[0].body.is_empty());
}
