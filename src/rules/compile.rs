//! Raw mirror → validated [`RuleSet`]: every check of docs/rules.md, "File structure", every problem
//! collected (never stopping at the first), every JSONPath and regex compiled once.
//!
//! The compiler only produces a `RuleSet` when it found nothing wrong; a partially
//! compiled file is never returned. Checks whose premise may have been removed by the
//! lenient deserializer (a pruned `pathTemplate`, a pruned definition) consult
//! [`Damage`] and stay quiet rather than report a consequence of an earlier problem.
//! Schemas live in `compile_schema`, transforms in `compile_transform`.

use std::collections::HashMap;

use serde_saphyr::{Location, Spanned};
use sha1::{Digest, Sha1};

use super::diagnostics::{Problem, did_you_mean};

use super::java_regex::{self, Shape};
use super::model::{Endpoint, ParamSchema, PathMatcher, RuleSet, Transform};
use super::plan::TransformPlan;
use super::raw::{OrderedMap, RawEndpoint, RawParamSchema, RawRules};
use super::template;
use super::yaml::position_in_scalar;
use super::yaml::recover::Damage;
use crate::jsonpath::JsonPath;

/// Methods an endpoint allows when `allowedMethods` is absent (diverges from Psoxy,
/// which allows every method: fail closed).
const DEFAULT_METHODS: [&str; 2] = ["GET", "HEAD"];

pub(crate) struct Compiler<'a> {
    pub src: &'a str,
    pub damage: &'a Damage,
    pub problems: Vec<Problem>,
    /// Root-level definition names in file order: `$ref` targets.
    pub definition_names: Vec<String>,
    /// Where `definitions` is, to ask `damage` whether a missing name was pruned.
    pub definitions_at: Option<Location>,
    pub root_at: Location,
    /// Regexes compiled so far, by source and shape: rule files repeat the same parameter
    /// patterns across endpoints, and compiling a regex is most of compiling the rules.
    /// `regex::Regex` clones share the compiled program.
    pub regex_cache: HashMap<(String, Shape), Result<regex::Regex, String>>,
}

pub(crate) fn compile(
    raw: &RawRules,
    src: &str,
    damage: &Damage,
    root_at: Location,
) -> Result<RuleSet, Vec<Problem>> {
    let definitions = raw.definitions.as_ref();
    let mut cx = Compiler {
        src,
        damage,
        problems: Vec::new(),
        definition_names: definitions
            .map(|d| {
                d.value
                    .0
                    .iter()
                    .map(|(name, _)| name.value.clone())
                    .collect()
            })
            .unwrap_or_default(),
        definitions_at: definitions.map(|d| d.referenced),
        root_at,
        regex_cache: HashMap::new(),
    };
    if let Some(flag) = raw.allow_all_endpoints.as_ref().filter(|f| f.value) {
        cx.error_hint(
            &flag.referenced,
            "`allowAllEndpoints: true` is refused: only listed endpoints are ever served",
            "list each endpoint under `endpoints` and remove `allowAllEndpoints`",
        );
    }
    if raw.endpoints.is_none() && !damage.has(&root_at, "endpoints") {
        cx.error_hint(
            &root_at,
            "the rules file has no `endpoints`",
            "list the requests to allow under `endpoints:`; nothing else is ever forwarded",
        );
    }
    let definitions = definitions.map_or_else(Vec::new, |d| {
        d.value
            .0
            .iter()
            .map(|(name, schema)| (name.value.clone(), cx.schema(schema)))
            .collect()
    });
    let endpoints: Vec<Option<Endpoint>> = raw
        .endpoints
        .iter()
        .flatten()
        .map(|e| cx.endpoint(e))
        .collect();
    let allowed_request_headers = header_names(raw.allowed_request_headers.as_deref());
    // An endpoint is `None` either with a problem recorded here or because the lenient
    // deserializer pruned part of it (reported there): the caller refuses the file.
    let endpoints: Option<Vec<Endpoint>> = endpoints.into_iter().collect();
    let Some(endpoints) = endpoints.filter(|_| cx.problems.is_empty()) else {
        return Err(cx.problems);
    };
    Ok(RuleSet {
        endpoints,
        definitions,
        allowed_request_headers,
        sha1_hex: sha1_hex(src),
    })
}

/// SHA-1 of the rules text exactly as loaded, lower-case hex.
fn sha1_hex(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Compiler<'_> {
    pub(crate) fn error(&mut self, at: &Location, message: impl Into<String>) {
        self.problems
            .push(Problem::new(at.line(), at.column(), message));
    }

    pub(crate) fn error_hint(&mut self, at: &Location, message: impl Into<String>, hint: &str) {
        let problem = Problem::new(at.line(), at.column(), message);
        self.problems.push(problem.with_hint(Some(hint.to_owned())));
    }

    /// Compiles a Java regex for `shape`; `what` names it in the message ("pathRegex").
    pub(crate) fn regex(
        &mut self,
        text: &Spanned<String>,
        shape: Shape,
        what: &str,
    ) -> Option<regex::Regex> {
        let key = (text.value.clone(), shape);
        let compiled = match self.regex_cache.get(&key) {
            Some(compiled) => compiled.clone(),
            None => {
                let compiled = java_regex::compile(&text.value, shape);
                self.regex_cache.insert(key, compiled.clone());
                compiled
            }
        };
        compiled
            .map_err(|reason| {
                self.error(
                    &text.referenced,
                    format!("invalid regex in `{what}`: {reason}"),
                )
            })
            .ok()
    }

    pub(crate) fn regexes(
        &mut self,
        texts: Option<&[Spanned<String>]>,
        shape: Shape,
        what: &str,
    ) -> Option<Vec<regex::Regex>> {
        let compiled: Vec<_> = texts
            .unwrap_or_default()
            .iter()
            .map(|t| self.regex(t, shape, what))
            .collect();
        compiled.into_iter().collect()
    }

    /// Compiles a JSONPath; an error points at the offending character when it can.
    pub(crate) fn json_path(&mut self, text: &Spanned<String>) -> Option<JsonPath> {
        match JsonPath::compile(&text.value) {
            Ok(path) => Some(path),
            Err(e) => {
                let (line, column) = position_in_scalar(self.src, text, e.offset);
                let problem =
                    Problem::new(line, column, format!("invalid JSONPath: {}", e.message));
                self.problems.push(problem.with_hint(e.hint));
                None
            }
        }
    }

    fn endpoint(&mut self, endpoint: &Spanned<RawEndpoint>) -> Option<Endpoint> {
        let before = self.problems.len();
        let (at, raw) = (&endpoint.referenced, &endpoint.value);
        let matcher = self.matcher(at, raw);
        let params = match &matcher {
            Some((PathMatcher::Template { params, .. }, _)) => Some(params.clone()),
            Some((PathMatcher::Regex(regex), _)) => {
                Some(regex.capture_names().flatten().map(str::to_owned).collect())
            }
            None => None,
        };
        let path_parameter_schemas = self.path_param_schemas(raw, params.as_deref());
        let query_param_schemas = self.query_param_schemas(raw.query_param_schemas.as_ref());
        let response_schema = raw.response_schema.as_ref().map(|s| self.schema(&s.value));
        let transforms: Vec<_> = raw
            .transforms
            .iter()
            .flatten()
            .map(|t| self.transform(t))
            .collect();
        let allowed_methods = match &raw.allowed_methods {
            Some(methods) => methods
                .iter()
                .map(|m| m.trim().to_ascii_uppercase())
                .collect(),
            None => DEFAULT_METHODS.map(str::to_owned).to_vec(),
        };
        let allowed_request_headers = header_names(raw.allowed_request_headers.as_deref());
        let transforms: Vec<Transform> = transforms.into_iter().collect::<Option<_>>()?;
        let (matcher, label) = matcher?;
        if self.problems.len() > before {
            return None;
        }
        Some(Endpoint {
            label,
            matcher,
            path_parameter_schemas,
            allowed_query_params: raw
                .allowed_query_params
                .as_ref()
                .map(|names| lower_all(names)),
            query_param_schemas,
            allowed_methods,
            allowed_request_headers,
            response_schema,
            plan: TransformPlan::new(&transforms),
            transforms,
        })
    }

    /// The endpoint's path matcher and label: the template wins over `pathRegex`.
    fn matcher(&mut self, at: &Location, raw: &RawEndpoint) -> Option<(PathMatcher, String)> {
        if let Some(text) = &raw.path_template {
            return match template::compile(&text.value) {
                Ok((regex, params)) => {
                    Some((PathMatcher::Template { regex, params }, text.value.clone()))
                }
                Err(e) => {
                    let (line, column) = position_in_scalar(self.src, text, e.offset);
                    let message = format!("invalid pathTemplate: {}", e.message);
                    self.problems.push(Problem::new(line, column, message));
                    None
                }
            };
        }
        if let Some(text) = &raw.path_regex {
            let regex = self.regex(text, Shape::Full, "pathRegex")?;
            return Some((PathMatcher::Regex(regex), text.value.clone()));
        }
        let pruned = ["pathTemplate", "pathRegex"]
            .iter()
            .any(|k| self.damage.has(at, k));
        if !pruned {
            self.error_hint(
                at,
                "endpoint has neither `pathTemplate` nor `pathRegex`",
                "add a template such as `pathTemplate: /api/v2/pages/{id}`",
            );
        }
        None
    }

    /// `pathParameterSchemas`: each key must name a template parameter (or named group).
    fn path_param_schemas(
        &mut self,
        raw: &RawEndpoint,
        params: Option<&[String]>,
    ) -> Vec<(String, ParamSchema)> {
        let Some(schemas) = &raw.path_parameter_schemas else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, schema) in &schemas.0 {
            if let Some(params) = params.filter(|p| !p.contains(&name.value)) {
                let hint = did_you_mean(&name.value, params.iter().map(String::as_str))
                    .unwrap_or_else(|| format!("the path parameters are: {}", params.join(", ")));
                let message = format!("no path parameter `{}` to validate", name.value);
                self.error_hint(&name.referenced, message, &hint);
            }
            out.push((name.value.clone(), self.param_schema(schema)));
        }
        out
    }

    /// `queryParamSchemas`, keyed by lower-cased name (names compare case-insensitively).
    fn query_param_schemas(
        &mut self,
        schemas: Option<&OrderedMap<RawParamSchema>>,
    ) -> Vec<(String, ParamSchema)> {
        let mut out: Vec<(String, ParamSchema)> = Vec::new();
        for (name, schema) in schemas.map(|s| s.0.as_slice()).unwrap_or_default() {
            let lower = name.value.to_lowercase();
            if out.iter().any(|(n, _)| *n == lower) {
                let message = format!("query parameter `{}` has two schemas", name.value);
                self.error_hint(
                    &name.referenced,
                    message,
                    "names compare case-insensitively",
                );
            }
            let compiled = self.param_schema(schema);
            out.push((lower, compiled));
        }
        out
    }
}

/// Header names compare case-insensitively; they are ASCII by definition.
fn header_names(names: Option<&[String]>) -> Vec<String> {
    names
        .unwrap_or_default()
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect()
}

fn lower_all(names: &[String]) -> Vec<String> {
    names.iter().map(|n| n.trim().to_lowercase()).collect()
}
