//! The Rhai sandbox that runs probe scripts and evaluates rules' probe expressions.
//!
//! A script sees only what is registered here: the host API (`resolve`, `tcp_connect`,
//! `rdp_negotiate`, `tls_certificate`, `credssp`, `https_probe`, `now`, ...), Rhai's core language and its
//! standard string, array and map functions. There is no file system, no `eval`, and `import`
//! resolves only other probe scripts. Operations, call depth, expression depth and string,
//! array and map sizes are bounded, and a wall-clock budget stops the script while it runs.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rhai::module_resolvers::ModuleResolver;
use rhai::{Dynamic, Engine, EvalAltResult, Module, Position, Scope, Shared};
use serde_json::{Value, json};
use tokio::runtime::Handle;

use super::host::Host;
use super::net::{self, GatewayUrl, Limits, Negotiation, NegotiationAnswer, NetError};
use super::{ProbeResult, ProbeScript, RunOptions, Status, Target};
use crate::limits::PROBE_IMPORT_DEPTH;
use crate::sandbox::{count_operations, describe_error, sandboxed_engine};

/// Resolves `import "name"` to another probe script, and nothing else.
struct ProbeModules {
    scripts: Arc<Vec<ProbeScript>>,
    /// The libraries being imported, outermost first: an import of one of them again is a
    /// cycle, refused before it can exhaust the stack.
    importing: Mutex<Vec<String>>,
}

impl ModuleResolver for ProbeModules {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        position: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let name = path.trim_end_matches(".rhai");
        let Some(script) = self.scripts.iter().find(|s| s.library && s.name == name) else {
            return Err(Box::new(EvalAltResult::ErrorModuleNotFound(
                format!("{path} (only the libraries in probes/lib/ can be imported)"),
                position,
            )));
        };
        {
            let mut importing = self.importing.lock().unwrap_or_else(|e| e.into_inner());
            if importing.iter().any(|n| n == name) || importing.len() >= PROBE_IMPORT_DEPTH {
                let mut chain = importing.clone();
                chain.push(name.to_string());
                // Not ErrorModuleNotFound: Rhai replaces that with its own bare "not found".
                return Err(Box::new(EvalAltResult::ErrorRuntime(
                    format!(
                        "import cycle or imports nested deeper than {PROBE_IMPORT_DEPTH}: {}",
                        chain.join(" -> ")
                    )
                    .into(),
                    position,
                )));
            }
            importing.push(name.to_string());
        }
        let module = self.load(engine, script, path, position);
        self.importing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        module
    }
}

impl ProbeModules {
    /// Compiles and evaluates the library `script` as a module.
    fn load(
        &self,
        engine: &Engine,
        script: &ProbeScript,
        path: &str,
        position: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let ast = engine.compile(&script.source).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                path.into(),
                e.into(),
                position,
            ))
        })?;
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.into(), e, position)))?;
        Ok(module.into())
    }
}

/// Runs one probe script to completion on the current (blocking) thread. Host calls run on
/// `handle`'s runtime; the wall-clock budget stops the script between operations and bounds
/// every host call.
pub(super) fn run(
    script: &ProbeScript,
    scripts: Arc<Vec<ProbeScript>>,
    target: &Target,
    previous: &serde_json::Map<String, Value>,
    options: &RunOptions,
    handle: Handle,
    host: Host,
) -> ProbeResult {
    let start = Instant::now();
    let deadline = start + options.budget;
    let limits = options.sandbox;
    let mut engine = sandboxed_engine(&limits);
    engine.set_module_resolver(ProbeModules {
        scripts,
        importing: Mutex::new(Vec::new()),
    });
    count_operations(
        &mut engine,
        limits.max_operations,
        std::rc::Rc::new(std::cell::Cell::new(0)),
        Some(deadline),
    );
    let notes = Arc::new(Mutex::new(Vec::<String>::new()));
    let printed = notes.clone();
    engine.on_print(move |text| {
        if let Ok(mut notes) = printed.lock() {
            if notes.len() < 20 {
                notes.push(text.chars().take(500).collect());
            }
        }
    });
    engine.on_debug(|_, _, _| {});
    register_host_api(
        &mut engine,
        handle,
        deadline,
        options.call,
        host,
        &script.name,
        Reach::of(target),
    );

    let mut scope = Scope::new();
    let target_map = json!({
        "host": target.host,
        "port": target.port,
        "gateway": target.gateway.clone().unwrap_or_default(),
        "timeout_ms": options.call.timeout.as_millis() as u64,
    });
    scope.push_constant("target", to_dynamic(&target_map));
    scope.push_constant("results", to_dynamic(&Value::Object(previous.clone())));

    let outcome = engine.eval_with_scope::<Dynamic>(&mut scope, &script.source);
    let elapsed_ms = start.elapsed().as_millis() as u64;
    let mut result = match outcome {
        Ok(value) => from_script_value(&script.name, value),
        Err(error) => ProbeResult::new(
            &script.name,
            Status::Error,
            format!(
                "the probe script stopped: {}",
                describe_error(&error, &limits, options.budget)
            ),
        ),
    };
    result.elapsed_ms = elapsed_ms;
    result.notes = notes.lock().map(|n| n.clone()).unwrap_or_default();
    result
}

/// Turns the script's return value into a result, checking its shape.
fn from_script_value(name: &str, value: Dynamic) -> ProbeResult {
    let bad = |why: String| {
        ProbeResult::new(
            name,
            Status::Error,
            format!(
                "the probe script returned {why}; it must return #{{ status: \"pass\"|\"fail\"|\"error\"|\"skipped\", summary: \"...\", facts: #{{...}} }}"
            ),
        )
    };
    let json: Value = match rhai::serde::from_dynamic(&value) {
        Ok(json) => json,
        Err(error) => return bad(format!("a value that is not data ({error})")),
    };
    let Value::Object(mut map) = json else {
        return bad(format!("`{}`", value.type_name()));
    };
    let status = match map.get("status").and_then(Value::as_str).map(Status::parse) {
        Some(Some(status)) => status,
        Some(None) => return bad(format!("status {}", map["status"])),
        None => return bad("no `status`".into()),
    };
    let summary = match map.get("summary") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return bad("no `summary` text".into()),
    };
    let facts = match map.remove("facts") {
        Some(Value::Object(facts)) => facts,
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(other) => return bad(format!("`facts` that is not a map ({other})")),
    };
    for key in map.keys() {
        if !matches!(key.as_str(), "status" | "summary") {
            return bad(format!("an unknown key `{key}`"));
        }
    }
    let mut result = ProbeResult::new(name, status, summary);
    result.facts = facts;
    result
}

fn to_dynamic(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

/// A map for a failed call: `#{ ok: false, error: kind, message: "..." }`.
fn failure(error: &NetError) -> Value {
    json!({ "ok": false, "error": error.kind.as_str(), "message": error.message })
}

/// The facts of a negotiation, as scripts see them.
pub fn negotiation_value(negotiation: &Negotiation) -> Value {
    let mut value = json!({
        "ok": true,
        "address": negotiation.address,
        "requested": negotiation.requested,
        "requested_names": net::protocol_names(negotiation.requested),
        "elapsed_ms": negotiation.elapsed_ms,
        "selected": -1,
        "selected_name": "",
        "flags": 0,
        "flag_names": [],
        "failure_code": 0,
        "failure_name": "",
        "tls": false,
    });
    match negotiation.answer {
        NegotiationAnswer::Selected { protocol, flags } => {
            value["response"] = json!("RDP_NEG_RSP");
            value["selected"] = json!(protocol);
            value["selected_name"] = json!(net::protocol_names(protocol));
            value["flags"] = json!(flags);
            value["flag_names"] = json!(net::flag_names(flags));
            value["tls"] = json!(protocol != 0);
        }
        NegotiationAnswer::Failure { code } => {
            value["response"] = json!("RDP_NEG_FAILURE");
            value["failure_code"] = json!(code);
            value["failure_name"] = json!(net::failure_name(code));
        }
        NegotiationAnswer::Legacy => {
            value["response"] = json!("NONE");
            value["selected"] = json!(0);
            value["selected_name"] = json!("PROTOCOL_RDP");
        }
    }
    value
}

fn certificate_value(
    certificate: &Option<super::x509::CertificateFacts>,
    trust: &Option<super::x509::TrustVerdict>,
) -> Value {
    let mut value = match certificate {
        Some(c) => serde_json::to_value(c).unwrap_or(Value::Null),
        None => Value::Null,
    };
    if let Value::Object(map) = &mut value {
        if map.get("parse_error").is_some_and(Value::is_null) {
            map.insert("parse_error".into(), json!(""));
        }
        let (trusted, reason, detail) = match trust {
            Some(t) => (t.trusted, t.reason.clone(), t.detail.clone()),
            None => (false, "other".into(), String::new()),
        };
        map.insert("trusted".into(), json!(trusted));
        map.insert("trust_reason".into(), json!(reason));
        map.insert("trust_detail".into(), json!(detail));
    }
    value
}

/// The hosts a probe may reach: the target and the RD Gateway of the run, by the names (or
/// addresses) the user gave. A connection goes to the addresses such a name resolves to, so no
/// script can reach any other machine.
#[derive(Debug, Clone)]
struct Reach {
    target: String,
    gateway: Option<String>,
}

impl Reach {
    fn of(target: &Target) -> Reach {
        let gateway = target
            .gateway
            .as_deref()
            .and_then(|g| GatewayUrl::parse(g).ok())
            .map(|g| g.host);
        Reach {
            target: target.host.clone(),
            gateway,
        }
    }

    /// Refuses `host` unless it names the target or the gateway.
    fn check(&self, host: &str) -> Result<(), Box<EvalAltResult>> {
        let same = |allowed: &str| {
            let (a, b) = (normal_host(allowed), normal_host(host));
            match (a.parse::<std::net::IpAddr>(), b.parse::<std::net::IpAddr>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            }
        };
        if same(&self.target) || self.gateway.as_deref().is_some_and(same) {
            return Ok(());
        }
        let shown = crate::untrusted::excerpt(host, 80);
        Err(format!(
            "`{shown}` is neither the target ({}) nor its gateway: probes reach only the host being checked",
            self.target
        )
        .into())
    }
}

/// A host as compared: lower case, without IPv6 brackets or a final dot.
fn normal_host(host: &str) -> String {
    let host = host.trim();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.trim_end_matches('.').to_lowercase()
}

fn register_host_api(
    engine: &mut Engine,
    handle: Handle,
    deadline: Instant,
    call: Limits,
    host: Host,
    probe: &str,
    reach: Reach,
) {
    // Every call gets the smaller of its own timeout and what is left of the probe's budget.
    let limits = move || -> Result<Limits, Box<EvalAltResult>> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Box::new(EvalAltResult::ErrorTerminated(
                Dynamic::from("time budget exhausted"),
                Position::NONE,
            )));
        }
        Ok(Limits {
            timeout: call.timeout.min(left),
            ..call
        })
    };
    let port_of = |port: i64| -> Result<u16, Box<EvalAltResult>> {
        u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{port} is not a port number (1-65535)").into())
    };
    let protocols_of = |protocols: i64| -> Result<u32, Box<EvalAltResult>> {
        u32::try_from(protocols).map_err(|_| format!("{protocols} is not a protocol mask").into())
    };

    let h = handle.clone();
    let (source, name) = (host.clone(), probe.to_string());
    let r = reach.clone();
    engine.register_fn("resolve", move |host: &str| -> Result<Dynamic, Box<EvalAltResult>> {
        r.check(host)?;
        let limits = limits()?;
        let start = Instant::now();
        let value = source.answer(&name, "resolve", vec![json!(host)], || match h
            .block_on(net::resolve(host, limits))
        {
            Ok(ips) => json!({
                "ok": true,
                "addresses": ips.iter().map(|ip| ip.to_string()).collect::<Vec<_>>(),
                "ipv4": ips.iter().filter(|ip| ip.is_ipv4()).map(|ip| ip.to_string()).collect::<Vec<_>>(),
                "ipv6": ips.iter().filter(|ip| ip.is_ipv6()).map(|ip| ip.to_string()).collect::<Vec<_>>(),
                "elapsed_ms": start.elapsed().as_millis() as u64,
            }),
            Err(error) => failure(&error),
        });
        Ok(to_dynamic(&value))
    });

    let h = handle.clone();
    let (source, name) = (host.clone(), probe.to_string());
    let r = reach.clone();
    engine.register_fn(
        "tcp_connect",
        move |host: &str, port: i64| -> Result<Dynamic, Box<EvalAltResult>> {
            r.check(host)?;
            let (limits, port) = (limits()?, port_of(port)?);
            let args = vec![json!(host), json!(port)];
            let value = source.answer(&name, "tcp_connect", args, || {
                match h.block_on(net::tcp_connect(host, port, limits)) {
                    Ok(c) => {
                        json!({ "ok": true, "address": c.address, "elapsed_ms": c.elapsed_ms })
                    }
                    Err(error) => failure(&error),
                }
            });
            Ok(to_dynamic(&value))
        },
    );

    let negotiate = {
        let h = handle.clone();
        let (source, name, r) = (host.clone(), probe.to_string(), reach.clone());
        move |host: &str, port: i64, protocols: u32| -> Result<Dynamic, Box<EvalAltResult>> {
            r.check(host)?;
            let (limits, port) = (limits()?, port_of(port)?);
            let args = vec![json!(host), json!(port), json!(protocols)];
            let value = source.answer(&name, "rdp_negotiate", args, || {
                match h.block_on(net::rdp_negotiate(host, port, protocols, limits)) {
                    Ok(n) => negotiation_value(&n),
                    Err(error) => failure(&error),
                }
            });
            Ok(to_dynamic(&value))
        }
    };
    let n = negotiate.clone();
    engine.register_fn("rdp_negotiate", move |host: &str, port: i64| {
        n(host, port, net::DEFAULT_REQUEST)
    });
    let n = negotiate.clone();
    engine.register_fn(
        "rdp_negotiate",
        move |host: &str, port: i64, protocols: i64| -> Result<Dynamic, Box<EvalAltResult>> {
            n(host, port, protocols_of(protocols)?)
        },
    );
    let n = negotiate;
    engine.register_fn(
        "rdp_negotiate",
        move |host: &str, port: i64, protocols: &str| -> Result<Dynamic, Box<EvalAltResult>> {
            n(host, port, net::parse_protocols(protocols)?)
        },
    );

    let certificate = {
        let h = handle.clone();
        let (source, name, r) = (host.clone(), probe.to_string(), reach.clone());
        move |host: &str, port: i64, protocols: u32| -> Result<Dynamic, Box<EvalAltResult>> {
            r.check(host)?;
            let (limits, port) = (limits()?, port_of(port)?);
            let args = vec![json!(host), json!(port), json!(protocols)];
            let value = source.answer(&name, "tls_certificate", args, || {
                match h.block_on(net::tls_certificate(host, port, protocols, limits)) {
                    Ok(report) => json!({
                        "ok": true,
                        "negotiation": negotiation_value(&report.negotiation),
                        "version": report.version,
                        "cipher": report.cipher,
                        "legacy_tls_only": report.legacy_tls_only,
                        "handshake_error": report.handshake_error.unwrap_or_default(),
                        "chain_length": report.chain_length,
                        "certificate": certificate_value(&report.certificate, &report.trust),
                    }),
                    Err(error) => failure(&error),
                }
            });
            Ok(to_dynamic(&value))
        }
    };
    let c = certificate.clone();
    engine.register_fn("tls_certificate", move |host: &str, port: i64| {
        c(host, port, net::DEFAULT_REQUEST)
    });
    let c = certificate;
    engine.register_fn(
        "tls_certificate",
        move |host: &str, port: i64, protocols: &str| -> Result<Dynamic, Box<EvalAltResult>> {
            c(host, port, net::parse_protocols(protocols)?)
        },
    );

    let h = handle.clone();
    let (source, name, r) = (host.clone(), probe.to_string(), reach.clone());
    engine.register_fn(
        "credssp",
        move |host: &str, port: i64| -> Result<Dynamic, Box<EvalAltResult>> {
            r.check(host)?;
            let (limits, port) = (limits()?, port_of(port)?);
            let args = vec![json!(host), json!(port)];
            let value = source.answer(&name, "credssp", args, || {
                match h.block_on(net::credssp_probe(host, port, limits)) {
                    Ok(report) => json!({
                        "ok": true,
                        "challenge": report.challenge,
                        "ts_version": report.ts_version,
                        "error_code": report.error_code,
                        "netbios_computer": report.netbios_computer,
                        "netbios_domain": report.netbios_domain,
                        "dns_computer": report.dns_computer,
                        "dns_domain": report.dns_domain,
                        "dns_tree": report.dns_tree,
                        "os_version": report.os_version,
                        "elapsed_ms": report.elapsed_ms,
                    }),
                    Err(error) => failure(&error),
                }
            });
            Ok(to_dynamic(&value))
        },
    );

    let h = handle;
    let (source, name, r) = (host.clone(), probe.to_string(), reach);
    engine.register_fn(
        "https_probe",
        move |url: &str| -> Result<Dynamic, Box<EvalAltResult>> {
            let limits = limits()?;
            let args = vec![json!(url)];
            let url = GatewayUrl::parse(url)?;
            r.check(&url.host)?;
            let value = source.answer(&name, "https_probe", args, || {
                match h.block_on(net::https_probe(&url, limits)) {
                    Ok(report) => json!({
                        "ok": true,
                        "address": report.address,
                        "version": report.version,
                        "legacy_tls_only": report.legacy_tls_only,
                        "handshake_error": report.handshake_error,
                        "status": report.status,
                        "reason": report.reason,
                        "auth_schemes": report.auth_schemes,
                        "server": report.server,
                        "elapsed_ms": report.elapsed_ms,
                        "certificate": certificate_value(&report.certificate, &report.trust),
                    }),
                    Err(error) => failure(&error),
                }
            });
            Ok(to_dynamic(&value))
        },
    );

    engine.register_fn("join", |items: rhai::Array, separator: &str| {
        items
            .iter()
            .map(|item| item.to_string())
            .collect::<Vec<_>>()
            .join(separator)
    });
    let (source, name) = (host, probe.to_string());
    engine.register_fn("now", move || -> i64 {
        let answer = source.answer(&name, "now", Vec::new(), || json!(super::x509::now_unix()));
        answer.as_i64().unwrap_or_else(super::x509::now_unix)
    });
    engine.register_fn("format_time", super::x509::rfc3339);
    engine.register_fn("protocol_names", |bits: i64| {
        net::protocol_names(u32::try_from(bits).unwrap_or(0))
    });
    engine.register_fn("failure_name", |code: i64| {
        net::failure_name(u32::try_from(code).unwrap_or(0)).to_string()
    });
}
