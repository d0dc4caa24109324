//! The gate table: `gate/cases.yaml` against `gate/rules.yaml`.

use serde::Deserialize;

use super::{load_valid, read_data};

/// One row: a request and what the gate must answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    method: String,
    path: String,
    query: Option<String>,
    /// Index of the endpoint that must admit the request.
    endpoint: Option<usize>,
    /// When given, the captured path parameters must be exactly these.
    params: Option<Vec<(String, String)>>,
    /// The block reason, as `{:?}` prints it.
    blocked: Option<String>,
}

impl Case {
    fn request(&self) -> String {
        let query = self
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        format!("{} {:?}{}", self.method, self.path, query)
    }
}

#[test]
fn gate_table() {
    let rules = load_valid("gate/rules.yaml");
    let cases: Vec<Case> = serde_saphyr::from_str(&read_data("gate/cases.yaml")).unwrap();
    assert!(
        cases.len() >= 40,
        "the table is the specification; keep it large"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let got = match rules.gate(&case.method, &case.path, case.query.as_deref()) {
            Ok(m) => {
                let params_ok = case.params.as_ref().is_none_or(|p| *p == m.path_params);
                match (case.endpoint == Some(m.index), params_ok) {
                    (true, true) => continue,
                    _ => format!(
                        "endpoint {} ({}) with params {:?}",
                        m.index, m.endpoint.label, m.path_params
                    ),
                }
            }
            Err(blocked) => {
                let reason = format!("{:?}", blocked.reason);
                if case.blocked.as_ref() == Some(&reason) {
                    continue;
                }
                format!("blocked: {reason}")
            }
        };
        let expected = match (&case.endpoint, &case.blocked) {
            (Some(i), _) => format!("endpoint {i} with params {:?}", case.params),
            (None, Some(reason)) => format!("blocked: {reason}"),
            (None, None) => "a row without `endpoint` or `blocked`".to_owned(),
        };
        failures.push(format!(
            "{}\n    expected {expected}\n    got      {got}",
            case.request()
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of {} gate cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
