//! A readable structural diff of two JSON values, one line per difference, each naming
//! the JSONPath where expected and actual part ways.

use serde_json::Value;

/// Every difference between `expected` and `actual`, as `$.a[0].b: …` lines.
pub(super) fn diff(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", expected, actual, &mut out);
    out
}

fn walk(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let child = child_path(path, key);
                match a.get(key) {
                    Some(av) => walk(&child, ev, av, out),
                    None => out.push(format!("{child}: missing (expected {})", show(ev))),
                }
            }
            for (key, av) in a.iter().filter(|(k, _)| !e.contains_key(*k)) {
                out.push(format!(
                    "{}: unexpected (got {})",
                    child_path(path, key),
                    show(av)
                ));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, pair) in e.iter().zip(a).enumerate() {
                walk(&format!("{path}[{i}]"), pair.0, pair.1, out);
            }
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: expected {} elements, got {}",
                    e.len(),
                    a.len()
                ));
            }
        }
        (e, a) if e != a => out.push(format!("{path}: expected {}, got {}", show(e), show(a))),
        _ => {}
    }
}

fn child_path(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::from(key))
    }
}

/// A value shortened for one diff line.
fn show(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_path_of_each_difference() {
        let expected = json!({"results": [{"title": "a", "id": 1}], "size": 1, "odd key": true});
        let actual =
            json!({"results": [{"title": "b"}], "size": 1, "extra": null, "odd key": true});
        assert_eq!(
            diff(&expected, &actual),
            vec![
                r#"$.results[0].title: expected "a", got "b""#,
                "$.results[0].id: missing (expected 1)",
                "$.extra: unexpected (got null)",
            ]
        );
    }

    #[test]
    fn equal_values_have_no_diff_and_arrays_report_length() {
        assert!(diff(&json!({"a": [1, 2]}), &json!({"a": [1, 2]})).is_empty());
        assert_eq!(
            diff(&json!([1]), &json!([1, 2])),
            vec!["$: expected 1 elements, got 2"]
        );
        assert_eq!(
            diff(&json!({"a b": 1}), &json!({"a b": 2})),
            vec![r#"$["a b"]: expected 1, got 2"#]
        );
    }
}
