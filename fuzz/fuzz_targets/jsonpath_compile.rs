//! JSONPath compilation: any text compiles or is rejected with an in-range offset; what
//! compiles is evaluated against a fixed document without panicking.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pseudoproxy::jsonpath::{self, JsonPath};
use serde_json::Value;

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::json!({
            "results": [
                {"id": "1", "type": "personal", "n": 1.5, "tags": ["a", "b"], "by": {"accountId": "x"}},
                {"id": 2, "type": null, "n": -3, "tags": [], "by": null, "ok": true}
            ],
            "_links": {"next": "/x?cursor=1"},
            "a b": {"c": [[1, 2], {"d": "e"}]}
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match JsonPath::compile(text) {
        Ok(path) => {
            let doc = document();
            for location in path.locate(doc) {
                assert!(jsonpath::get(doc, &location).is_some(), "a match that is not there");
            }
            let _ = path.matches_any(doc);
        }
        Err(e) => assert!(e.offset <= text.chars().count(), "offset out of range"),
    }
});
