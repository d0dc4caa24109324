//! `pseudoproxy auth --no-browser` end to end: the built binary against the mock
//! Atlassian; the test reads the authorize URL (and its random state) from the command's
//! output and pastes the redirect URL, as an operator would. Stores to moto SSM under a
//! prefix, to moto Secrets Manager, and to the local file; and every refusal happens
//! before the consent screen (nothing to lose yet).

use std::process::Stdio;
use std::sync::Arc;

use pseudoproxy::auth::TokenFamily;

use pseudoproxy::secrets::{FileStore, SecretStore, SsmStore};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::oauth_mock::{CLIENT_ID, CLIENT_SECRET, MockAtlassian};
use super::oauth_moto::moto_is_up;
use super::oauth_support::{clock, stored};

/// Runs the consent flow; returns (exit ok, full stdout, stderr).
async fn run_auth(
    mock: &MockAtlassian,
    store_args: &[&str],
    cwd: &std::path::Path,
) -> (bool, String, String) {
    let code = format!("code-{:08x}", rand::random::<u32>());
    mock.state().codes.push(code.clone());
    let token_url = mock.token_url();
    let api_base = mock.api.uri();
    let mut args = vec![
        "auth",
        "--no-browser",
        "--client-id",
        CLIENT_ID,
        "--site",
        "acme",
        "--port",
        "8976",
        "--authorize-url",
        "https://auth.example.invalid/authorize",
        "--token-url",
        &token_url,
        "--api-base",
        &api_base,
    ];
    args.extend_from_slice(store_args);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pseudoproxy"))
        .args(&args)
        .current_dir(cwd)
        .env("PSEUDOPROXY_CLIENT_SECRET", CLIENT_SECRET)
        .env_remove("REFRESH_ENDPOINT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let state = loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("authorize URL printed in time")
            .unwrap()
            .unwrap_or_else(|| panic!("no authorize URL in output:\n{seen}"));
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("https://auth.example.invalid/authorize?") {
            let url = reqwest::Url::parse(&line).unwrap();
            break url
                .query_pairs()
                .find(|(k, _)| k == "state")
                .unwrap()
                .1
                .into_owned();
        }
    };
    let pasted = format!("http://localhost:8976/callback?code={code}&state={state}\n");
    stdin.write_all(pasted.as_bytes()).await.unwrap();
    drop(stdin);
    while let Some(line) = lines.next_line().await.unwrap() {
        seen.push_str(&line);
        seen.push('\n');
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    let status = child.wait().await.unwrap();
    (status.success(), seen, stderr)
}

async fn assert_stored(store: &dyn SecretStore, prefix: &str, mock: &MockAtlassian, output: &str) {
    assert_eq!(
        stored(store, &format!("{prefix}CLIENT_ID"))
            .await
            .as_deref(),
        Some(CLIENT_ID)
    );
    assert_eq!(
        stored(store, &format!("{prefix}CLIENT_SECRET"))
            .await
            .as_deref(),
        Some(CLIENT_SECRET)
    );
    let refresh = stored(store, &format!("{prefix}REFRESH_TOKEN")).await;
    assert_eq!(
        refresh,
        mock.current_refresh_token(),
        "the family's refresh token"
    );
    let family = stored(store, &format!("{prefix}TOKEN_FAMILY"))
        .await
        .unwrap();
    let family = TokenFamily::parse(&family).unwrap();
    assert!(family.issued_at.is_some() && family.last_refresh_at == family.issued_at);
    assert!(output.contains("cloudId: acme-cloud-id"), "{output}");
    assert!(output.contains("read:page:confluence") && output.contains("offline_access"));
    for secret in [CLIENT_SECRET, refresh.unwrap().as_str()] {
        assert!(!output.contains(secret), "a secret was printed:\n{output}");
    }
}

#[tokio::test]
async fn auth_no_browser_stores_all_four_parameters_in_moto_ssm_under_the_prefix() {
    if !moto_is_up() {
        return;
    }
    let mock = MockAtlassian::start(clock()).await;
    let prefix = format!("/pseudoproxy-test/auth-{:016x}/", rand::random::<u64>());
    let dir = tempfile::tempdir().unwrap();
    let (ok, output, stderr) =
        run_auth(&mock, &["--store", "ssm", "--prefix", &prefix], dir.path()).await;
    assert!(ok, "auth failed:\n{output}\n{stderr}");
    let ssm: Arc<dyn SecretStore> = Arc::new(SsmStore::connect(None).await);
    assert_stored(ssm.as_ref(), &prefix, &mock, &output).await;
}

#[tokio::test]
async fn auth_no_browser_stores_to_the_local_file() {
    let mock = MockAtlassian::start(clock()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.json");
    let file_arg = file.display().to_string();
    let (ok, output, stderr) = run_auth(
        &mock,
        &["--store", &file_arg, "--prefix", "PSOXY_CONFLUENCE_CLOUD_"],
        dir.path(),
    )
    .await;
    assert!(ok, "auth failed:\n{output}\n{stderr}");
    let store = FileStore::new(&file);
    assert_stored(&store, "PSOXY_CONFLUENCE_CLOUD_", &mock, &output).await;
}

#[tokio::test]
async fn auth_no_browser_stores_all_four_secrets_in_moto_secrets_manager() {
    if !moto_is_up() {
        return;
    }
    let mock = MockAtlassian::start(clock()).await;
    let prefix = format!("PSOXY_AUTH_{:016x}_", rand::random::<u64>());
    let dir = tempfile::tempdir().unwrap();
    let (ok, output, stderr) = run_auth(
        &mock,
        &["--store", "secrets-manager", "--prefix", &prefix],
        dir.path(),
    )
    .await;
    assert!(ok, "auth failed:\n{output}\n{stderr}");
    let sm: Arc<dyn SecretStore> =
        Arc::new(pseudoproxy::secrets::SecretsManagerStore::connect(None).await);
    assert_stored(sm.as_ref(), &prefix, &mock, &output).await;
}

/// Runs `auth` with `args` and nothing on stdin; returns (exit code, stdout, stderr).
fn auth_refusal(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pseudoproxy"));
    command
        .arg("auth")
        .args(["--no-browser", "--client-id", CLIENT_ID])
        .args(args)
        .env("PSEUDOPROXY_CLIENT_SECRET", CLIENT_SECRET)
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn auth_refuses_before_the_consent_screen() {
    // No --store: there is no default to fall into.
    let (code, stdout, stderr) = auth_refusal(&[], &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("--store"), "{stderr}");
    // An AWS store without a prefix would write at the root, where no function looks.
    for store in ["ssm", "secrets-manager"] {
        let (code, stdout, stderr) = auth_refusal(&["--store", store], &[]);
        assert_eq!(code, Some(2), "{store}: {stdout}{stderr}");
        assert!(stderr.contains("--prefix"), "{store}: {stderr}");
        assert!(
            !stdout.contains("authorize"),
            "{store}: consent started:\n{stdout}"
        );
    }
    // A store that cannot be written (nothing listens there): refused before consent.
    let (code, stdout, stderr) = auth_refusal(
        &[
            "--store",
            "ssm",
            "--prefix",
            "PSOXY_CONFLUENCE_CLOUD_",
            "--region",
            "us-east-1",
        ],
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("cannot write to the store"), "{stderr}");
    assert!(!stdout.contains("authorize"), "consent started:\n{stdout}");
    // The test-only endpoints are not in --help.
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_pseudoproxy"))
        .args(["auth", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for hidden in ["--authorize-url", "--token-url", "--api-base"] {
        assert!(!help.contains(hidden), "{hidden} shown in --help");
    }
    for shown in ["--store", "--prefix", "--region", "--kms-key-id"] {
        assert!(help.contains(shown), "{shown} missing from --help");
    }
}
