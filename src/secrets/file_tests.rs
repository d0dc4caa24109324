//! FileStore behaviour: SSM semantics, 0600, atomic replacement, concurrent writers,
//! malformed files.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use super::*;

fn store() -> (tempfile::TempDir, FileStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("nested").join("secrets.json"));
    (dir, store)
}

#[tokio::test]
async fn same_semantics_as_ssm() {
    let (_dir, store) = store();
    assert!(store.get("A").await.unwrap().is_none(), "no file yet");
    assert!(store.create_if_absent("lock", "owner-1").await.unwrap());
    assert!(!store.create_if_absent("lock", "owner-2").await.unwrap());
    assert_eq!(store.get("lock").await.unwrap().unwrap().value, "owner-1");
    assert_eq!(store.put("A", "1").await.unwrap(), 1);
    assert_eq!(store.put("A", "2").await.unwrap(), 2);
    let a = store.get("A").await.unwrap().unwrap();
    assert_eq!((a.value.as_str(), a.version), ("2", 2));
    let age = SystemTime::now().duration_since(a.last_modified).unwrap();
    assert!(
        age < Duration::from_secs(60),
        "last_modified is now-ish: {age:?}"
    );
    store.delete("lock").await.unwrap();
    store.delete("lock").await.unwrap();
    assert!(store.get("lock").await.unwrap().is_none());
    assert!(store.create_if_absent("lock", "owner-3").await.unwrap());
}

#[tokio::test]
async fn file_is_private_and_no_temp_files_remain() {
    let (_dir, store) = store();
    store.put("PSOXY_SALT", "salt").await.unwrap();
    let mode = std::fs::metadata(store.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let parent = store.path().parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn every_get_rereads_what_another_writer_stored() {
    let (_dir, first) = store();
    let second = FileStore::new(first.path());
    first.put("TOKEN", "old").await.unwrap();
    assert_eq!(first.get("TOKEN").await.unwrap().unwrap().value, "old");
    second.put("TOKEN", "new").await.unwrap();
    let seen = first.get("TOKEN").await.unwrap().unwrap();
    assert_eq!((seen.value.as_str(), seen.version), ("new", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_lose_no_update() {
    let (_dir, store) = store();
    let store = Arc::new(store);
    // A second handle on the same file stands in for another process: only the file
    // lock, not the in-process mutex, serializes it against the first.
    let other = Arc::new(FileStore::new(store.path()));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = if i % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            s.put(&format!("P{i}"), "v").await.unwrap();
            s.put("COUNTER", "x").await.unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for i in 0..40 {
        assert!(
            store.get(&format!("P{i}")).await.unwrap().is_some(),
            "P{i} lost"
        );
    }
    assert_eq!(store.get("COUNTER").await.unwrap().unwrap().version, 40);
}

#[tokio::test]
async fn create_if_absent_has_exactly_one_winner() {
    let (_dir, store) = store();
    let path = store.path().to_path_buf();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = FileStore::new(&path);
        tasks.push(tokio::spawn(async move {
            s.create_if_absent("OAUTH_REFRESH_TOKEN_lock", &format!("owner-{i}"))
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn malformed_files_fail_naming_the_file_never_the_content() {
    let cases = [
        ("not json", "very-secret-token"),
        (
            "wrong shape",
            r#"{"A": {"value": 5, "version": 1, "lastModified": 0}} "#,
        ),
        ("top-level string", r#""very-secret-token""#),
        (
            "unknown field",
            r#"{"A": {"value": "very-secret-token", "v": 1}}"#,
        ),
    ];
    for (what, content) in cases {
        let (_dir, store) = store();
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        std::fs::write(store.path(), content).unwrap();
        for error in [
            store.get("A").await.unwrap_err(),
            store.put("A", "x").await.unwrap_err(),
        ] {
            let message = error.to_string();
            assert!(
                matches!(error, SecretError::Failed { .. }),
                "{what}: {message}"
            );
            assert!(message.contains("secrets.json"), "{what}: {message}");
            assert!(!message.contains("very-secret"), "{what}: {message}");
        }
        assert_eq!(
            std::fs::read_to_string(store.path()).unwrap(),
            content,
            "{what}: untouched"
        );
    }
}
