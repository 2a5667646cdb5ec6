//! Live probes: sandboxed Rhai scripts that check a host over the network, and the verdicts
//! their findings give on rules.
//!
//! Probes run in layers, as their `//! needs:` headers say (name resolution, then TCP, then
//! the RDP negotiation, then TLS and authentication requirements): a probe whose needs did
//! not pass is `skipped`, naming the layer that failed. Probes of one layer run concurrently,
//! each on its own blocking thread with its own sandbox and budget, so a failing, slow or
//! hostile probe never affects the others. Probes never send credentials and run only against
//! the host the user names.

pub mod host;
pub mod net;
pub mod script;
pub mod x509;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{Knowledge, ProbeCheck, Problem, ProblemKind};
use crate::limits::{HOST_NAME_CHARS, RECORDING_BYTES};
use crate::matcher::{Candidate, confidence, sort_candidates_by};
use crate::yaml::Position;

pub use crate::model::probe::{ProbeResult, ProbeScript, ProbeVerdict, Status};
pub use crate::sandbox::SandboxLimits;
pub use host::{Host, HostCall};

/// Raw score a probe's confirmation adds to a rule: as much as a strong signature.
pub const CONFIRMED_WEIGHT: f64 = 6.0;

/// A rule the paste did not name, confirmed by a failing probe, enters with this share of
/// [`CONFIRMED_WEIGHT`]: below causes that both the paste and a probe point to.
pub const UNNAMED_SHARE: f64 = 0.5;

/// A refuted rule keeps this share of its raw score.
pub const REFUTED_FACTOR: f64 = 0.25;

/// The host to probe, named by the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Host name or address.
    pub host: String,
    /// RDP port.
    pub port: u16,
    /// RD Gateway URL, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

impl Target {
    /// Reads `HOST`, `HOST:PORT`, `[v6]:PORT` (port 3389 unless given).
    pub fn parse(text: &str) -> Result<Target, String> {
        let (host, port) = net::split_host_port(text, 3389)?;
        check_host(&host)?;
        Ok(Target {
            host,
            port,
            gateway: None,
        })
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn display(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Accepts a host name (letters of any script, digits, `-`, `_`, dots), an IPv4 address or an
/// IPv6 address (with an optional `%zone`) of at most [`HOST_NAME_CHARS`] characters; refuses
/// anything else, so no markup or control character reaches a report through a host.
pub fn check_host(host: &str) -> Result<(), String> {
    let shown = crate::untrusted::excerpt(host, 40);
    if host.is_empty() {
        return Err("no host given".into());
    }
    if host.chars().count() > HOST_NAME_CHARS {
        return Err(format!(
            "`{shown}` is longer than a host name can be ({HOST_NAME_CHARS} characters)"
        ));
    }
    let address = host.split('%').next().unwrap_or(host);
    if address.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    // Labels between dots; only the last may be empty (a fully qualified `host.`).
    let labels: Vec<&str> = host.split('.').collect();
    let name_ok = labels.iter().enumerate().all(|(i, label)| {
        if label.is_empty() {
            return i > 0 && i == labels.len() - 1;
        }
        !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    });
    if name_ok {
        Ok(())
    } else {
        Err(format!(
            "`{shown}` is not a host name or address (letters, digits, `-`, `_` and dots, or an IP address)"
        ))
    }
}

/// Budgets of a probe run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Wall-clock budget of one probe script.
    pub budget: Duration,
    /// Bounds of each host call.
    pub call: net::Limits,
    /// Sandbox limits.
    pub sandbox: SandboxLimits,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            budget: crate::limits::PROBE_SCRIPT_TIME,
            call: net::Limits::default(),
            sandbox: SandboxLimits::default(),
        }
    }
}

/// Runs every probe (not the libraries) against `target`, layer by layer; returns one result
/// per probe, lower layers first.
pub async fn run_probes(
    scripts: Arc<Vec<ProbeScript>>,
    target: &Target,
    options: &RunOptions,
    host: &Host,
) -> Vec<ProbeResult> {
    let mut results: HashMap<String, ProbeResult> = HashMap::new();
    let mut layer_of: HashMap<String, usize> = HashMap::new();
    let mut layer = 0;
    let mut pending: Vec<usize> = (0..scripts.len())
        .filter(|&i| !scripts[i].library)
        .collect();
    let known = |name: &str| scripts.iter().any(|s| s.name == name && !s.library);
    for &i in &pending {
        let script = &scripts[i];
        if let Some(missing) = script.needs.iter().find(|n| !known(n)) {
            results.insert(
                script.name.clone(),
                ProbeResult::new(
                    &script.name,
                    Status::Error,
                    format!("needs the probe `{missing}`, which does not exist"),
                ),
            );
        }
    }
    pending.retain(|&i| !results.contains_key(&scripts[i].name));
    while !pending.is_empty() {
        let (ready, waiting): (Vec<usize>, Vec<usize>) = pending
            .iter()
            .partition(|&&i| scripts[i].needs.iter().all(|n| results.contains_key(n)));
        if ready.is_empty() {
            for i in waiting {
                let name = &scripts[i].name;
                results.insert(
                    name.clone(),
                    ProbeResult::new(name, Status::Error, "its `needs` form a cycle"),
                );
            }
            break;
        }
        let previous: serde_json::Map<String, Value> = results
            .iter()
            .map(|(name, r)| {
                let value = serde_json::json!({
                    "status": r.status.as_str(),
                    "summary": r.summary,
                    "facts": r.facts,
                });
                (name.clone(), value)
            })
            .collect();
        let previous = Arc::new(previous);
        for &i in &ready {
            layer_of.insert(scripts[i].name.clone(), layer);
        }
        layer += 1;
        let mut tasks = tokio::task::JoinSet::new();
        for &i in &ready {
            let script = &scripts[i];
            let blocked = script.needs.iter().find_map(|n| {
                let r = &results[n];
                (r.status != Status::Pass).then(|| (n.clone(), r.status))
            });
            if let Some((need, status)) = blocked {
                // Name the layer that failed, not the chain of skips above it.
                let why = match status {
                    Status::Skipped => results[&need].summary.clone(),
                    _ => format!("skipped: `{need}` did not pass"),
                };
                results.insert(
                    script.name.clone(),
                    ProbeResult::new(&script.name, Status::Skipped, why),
                );
                continue;
            }
            let (scripts, target, options, previous, host) = (
                scripts.clone(),
                target.clone(),
                *options,
                previous.clone(),
                host.clone(),
            );
            let handle = tokio::runtime::Handle::current();
            let grace = options.budget + options.call.timeout + Duration::from_secs(1);
            tasks.spawn(async move {
                let name = scripts[i].name.clone();
                let job = tokio::task::spawn_blocking(move || {
                    script::run(
                        &scripts[i],
                        scripts.clone(),
                        &target,
                        &previous,
                        &options,
                        handle,
                        host,
                    )
                });
                let result = match tokio::time::timeout(grace, job).await {
                    Ok(Ok(result)) => result,
                    Ok(Err(panic)) => ProbeResult::new(
                        &name,
                        Status::Error,
                        format!("the probe crashed: {panic}"),
                    ),
                    Err(_) => ProbeResult::new(
                        &name,
                        Status::Error,
                        format!("the probe did not stop within {} s", grace.as_secs()),
                    ),
                };
                (name, result)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Ok((name, result)) = joined {
                results.insert(name, result);
            }
        }
        pending = waiting;
    }
    let mut ordered: Vec<&ProbeScript> = scripts.iter().filter(|s| !s.library).collect();
    // Layer order; a probe outside the layers (no needs, and nothing needs it) comes last.
    let needed = |name: &str| scripts.iter().any(|s| s.needs.iter().any(|n| n == name));
    ordered.sort_by_key(|s| match layer_of.get(&s.name) {
        Some(0) if !needed(&s.name) => usize::MAX - 1,
        Some(layer) => *layer,
        None => usize::MAX,
    });
    ordered
        .into_iter()
        .map(|s| {
            results.remove(&s.name).unwrap_or_else(|| {
                ProbeResult::new(&s.name, Status::Error, "the probe did not report")
            })
        })
        .collect()
}

/// [`run_probes`] on a runtime of its own, for callers without one.
pub fn run_probes_blocking(
    scripts: Arc<Vec<ProbeScript>>,
    target: &Target,
    options: &RunOptions,
    host: &Host,
) -> Result<Vec<ProbeResult>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::limits::PROBE_THREADS)
        .max_blocking_threads(crate::limits::PROBE_SCRIPTS_AT_ONCE)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the probe runtime: {e}"))?;
    Ok(runtime.block_on(run_probes(scripts, target, options, host)))
}

/// A probe run saved with `--record`, read back with `--replay`: what every call of the host
/// API answered (so a replay runs the current scripts again, offline), and the results the
/// scripts of the time made of it (all a version 1 recording holds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recording {
    /// Format version: 2 with host calls, 1 with results alone.
    pub version: u32,
    /// The host that was probed.
    pub target: Target,
    /// When, RFC 3339.
    pub recorded_at: String,
    /// Every probe's result.
    pub results: Vec<ProbeResult>,
    /// Every call of the host API, with its answer, in the order made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<HostCall>,
}

impl Recording {
    /// A recording of a run made now: its results and host calls.
    pub fn new(target: &Target, results: &[ProbeResult], calls: Vec<HostCall>) -> Recording {
        Recording {
            version: 2,
            target: target.clone(),
            recorded_at: x509::rfc3339(x509::now_unix()),
            results: results.to_vec(),
            calls,
        }
    }

    /// The results of a replay: the probe scripts run again on the recorded answers, or, for a
    /// recording without host calls (version 1), the recorded results.
    pub fn replay(
        &self,
        scripts: Arc<Vec<ProbeScript>>,
        options: &RunOptions,
    ) -> Result<Vec<ProbeResult>, String> {
        if self.calls.is_empty() {
            return Ok(self.results.clone());
        }
        let host = Host::replay(self.calls.clone());
        let mut results = run_probes_blocking(scripts, &self.target, options, &host)?;
        // How long a probe took is what it took on the network, when it was recorded.
        for result in &mut results {
            if let Some(recorded) = self.results.iter().find(|r| r.probe == result.probe) {
                result.elapsed_ms = recorded.elapsed_ms;
            }
        }
        Ok(results)
    }

    /// Writes it as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), Problem> {
        let json = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(path, json + "\n")
            .map_err(|e| Problem::unreadable(path, format!("cannot write it: {e}"), None))
    }

    /// Reads a recording; an error names the line and column.
    pub fn load(path: &Path) -> Result<Recording, Problem> {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > RECORDING_BYTES {
            return Err(Problem::unreadable(
                path,
                format!(
                    "larger than {} MiB; a recording of one host is a few hundred KiB",
                    RECORDING_BYTES / (1024 * 1024)
                ),
                None,
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Problem::unreadable(path, format!("cannot read it: {e}"), None))?;
        Recording::parse(&text, path)
    }

    /// Reads the text of a recording saved at `path`; an error names the line and column.
    pub fn parse(text: &str, path: &Path) -> Result<Recording, Problem> {
        // An editor may have saved it with a byte-order mark.
        let json = text.strip_prefix('\u{feff}').unwrap_or(text);
        let recording: Recording = serde_json::from_str(json).map_err(|e| {
            let position = Position {
                line: e.line(),
                column: e.column(),
            };
            let message = e.to_string();
            // serde_json appends " at line L column C", which the problem shows as a position.
            let message = message.split(" at line ").next().unwrap_or(&message);
            Problem::in_file(
                ProblemKind::Json,
                path,
                (e.line() > 0).then_some(position),
                format!("not a probe recording: {message}"),
            )
        })?;
        if let Err(reason) = check_host(&recording.target.host) {
            return Err(Problem::in_file(
                ProblemKind::Json,
                path,
                None,
                format!("the recorded target: {reason}"),
            ));
        }
        if !(1..=2).contains(&recording.version) {
            return Err(Problem::in_file(
                ProblemKind::Json,
                path,
                None,
                format!(
                    "recording version {} is not supported (expected 1 or 2)",
                    recording.version
                ),
            ));
        }
        Ok(recording)
    }
}

/// Applies probe results to ranked candidates: a confirmed rule gains [`CONFIRMED_WEIGHT`], a
/// refuted one keeps [`REFUTED_FACTOR`] of its score, and a rule the paste did not name joins
/// the list when a failing probe confirms it. Expression errors are returned as notices.
pub fn rerank(
    knowledge: &Knowledge,
    mut candidates: Vec<Candidate>,
    results: &[ProbeResult],
) -> (Vec<Candidate>, Vec<String>) {
    let mut notices = Vec::new();
    for (index, rule) in knowledge.rules.iter().enumerate() {
        if rule.probes.is_empty() {
            continue;
        }
        let verdicts: Vec<ProbeVerdict> = rule
            .probes
            .iter()
            .map(|check| verdict(check, results, &rule.id, &mut notices))
            .collect();
        let confirmed = verdicts.iter().any(|v| v.verdict == "confirmed");
        let refuted = verdicts.iter().any(|v| v.verdict == "refuted");
        // A rule the paste did not name joins only on a probe that found a problem: "NLA is
        // required" confirms a rule about clients without NLA, but is no fault on its own.
        let found_problem = verdicts
            .iter()
            .any(|v| v.verdict == "confirmed" && v.status == Status::Fail);
        let position = candidates.iter().position(|c| c.rule == index);
        let candidate = match position {
            Some(p) => &mut candidates[p],
            None if found_problem && !refuted => {
                candidates.push(Candidate {
                    rule: index,
                    raw: 0.0,
                    score: 0.0,
                    evidence: Vec::new(),
                    probes: Vec::new(),
                });
                candidates.last_mut().expect("just pushed")
            }
            None => continue,
        };
        if confirmed && !refuted {
            let share = if position.is_some() {
                1.0
            } else {
                UNNAMED_SHARE
            };
            candidate.raw += CONFIRMED_WEIGHT * share;
        } else if refuted && !confirmed {
            candidate.raw *= REFUTED_FACTOR;
        }
        candidate.score = confidence(candidate.raw);
        candidate.probes = verdicts;
    }
    // Probes run in the order a connection goes: the earliest probe that found a rule's fault
    // is where the connection first breaks.
    let depth = |candidate: &Candidate| {
        candidate
            .probes
            .iter()
            .filter(|v| v.verdict == "confirmed" && v.status == Status::Fail)
            .filter_map(|v| results.iter().position(|r| r.probe == v.probe))
            .min()
            .unwrap_or(usize::MAX)
    };
    sort_candidates_by(&mut candidates, &knowledge.rules, depth);
    (candidates, notices)
}

fn verdict(
    check: &ProbeCheck,
    results: &[ProbeResult],
    rule: &str,
    notices: &mut Vec<String>,
) -> ProbeVerdict {
    let Some(result) = results.iter().find(|r| r.probe == check.probe) else {
        return ProbeVerdict {
            probe: check.probe.clone(),
            status: Status::Skipped,
            summary: "not run".into(),
            verdict: "not_run",
            facts: serde_json::Map::new(),
        };
    };
    let mut holds = |expression: &Option<String>, field: &str| -> bool {
        let Some(expression) = expression else {
            return false;
        };
        match crate::sandbox::evaluate(expression, result) {
            Ok(value) => value.unwrap_or(false),
            Err(error) => {
                notices.push(format!(
                    "rule `{rule}`: `{field}` of probe `{}` could not be evaluated: {error}",
                    check.probe
                ));
                false
            }
        }
    };
    let ran = matches!(result.status, Status::Pass | Status::Fail);
    let verdict = if !ran {
        "not_run"
    } else if holds(&check.confirms_when, "confirms_when") {
        "confirmed"
    } else if holds(&check.refutes_when, "refutes_when") {
        "refuted"
    } else {
        "inconclusive"
    };
    ProbeVerdict {
        probe: result.probe.clone(),
        status: result.status,
        summary: result.summary.clone(),
        verdict,
        facts: result.facts.clone(),
    }
}
