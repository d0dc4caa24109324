//! `pseudoproxy auth --no-browser` end to end: the built binary against the mock
//! Atlassian; the test reads the authorize URL (and its random state) from the command's
//! output and pastes the redirect URL, as an operator would. Stores to moto SSM under a
//! prefix, and to the local file.

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
        &[
            "--store",
            "file",
            "--file",
            &file_arg,
            "--prefix",
            "PSOXY_CONFLUENCE_CLOUD_",
        ],
        dir.path(),
    )
    .await;
    assert!(ok, "auth failed:\n{output}\n{stderr}");
    let store = FileStore::new(&file);
    assert_stored(&store, "PSOXY_CONFLUENCE_CLOUD_", &mock, &output).await;
}
