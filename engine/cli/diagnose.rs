//! `diagnose` and `probe`: read a paste, rank, probe a host, write the report.

use super::*;

/// A paste larger than this (1 MiB) is read as `scan` reads logs, and only the lines of its
/// worst problems are diagnosed: a whole log read as one paste would let a warning repeated a
/// thousand times outweigh the one line that ended the connection.
const WHOLE_LOG_BYTES: u64 = 1024 * 1024;

/// An event export (XML, JSON, CSV) larger than this (64 KiB) is read as a log too: one event
/// or a few, copied from Event Viewer, are a paste like any other. An EVTX file always is.
const EVENT_EXPORT_BYTES: u64 = 64 * 1024;

/// Whether an input of `size` bytes that starts with `start` is read as a log.
fn read_as_log(size: u64, start: &[u8]) -> bool {
    size > WHOLE_LOG_BYTES
        || start.starts_with(b"ElfFile\0")
        || size > EVENT_EXPORT_BYTES && crate::scan::is_event_log(start)
}

/// How many of a log's worst problems `diagnose` diagnoses together.
const LOG_PROBLEMS: usize = 3;

pub(super) fn read_input(knowledge: &Knowledge, args: &DiagnoseArgs) -> Result<Paste, String> {
    if let Some(path) = &args.file {
        let name = path.display().to_string();
        let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut start = [0u8; 8192];
        let read = file
            .read(&mut start)
            .map_err(|e| format!("cannot read {name}: {e}"))?;
        if read_as_log(size, &start[..read]) {
            std::io::Seek::rewind(&mut file).map_err(|e| format!("cannot read {name}: {e}"))?;
            return whole_log(knowledge, &name, size, |scanner| {
                scanner.read_file(&name, file)
            });
        }
        return std::fs::read(path)
            .map(Paste::from_bytes)
            .map_err(|e| format!("cannot read {name}: {e}"));
    }
    let from_stdin = args.text.is_empty() || args.text == ["-"];
    if !from_stdin {
        return Ok(Paste::from_text(args.text.join(" ")));
    }
    if args.text.is_empty() && std::io::stdin().is_terminal() {
        return Err(
            "no paste given: pass the text as an argument, use --file FILE, or pipe it in (`-` reads standard input)"
                .into(),
        );
    }
    if std::io::stdin().is_terminal() {
        let _ = writeln!(
            std::io::stderr(),
            "Paste the error, then press Ctrl-D on a line of its own (Ctrl-Z and Enter on Windows)."
        );
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let size = bytes.len() as u64;
    if read_as_log(size, &bytes[..bytes.len().min(8192)]) {
        return whole_log(knowledge, "standard input", size, |scanner| {
            scanner.read("-", bytes.as_slice())
        });
    }
    Ok(Paste::from_bytes(bytes))
}

/// A large log or an event log as a paste: the texts of its worst problems (those of its
/// highest level, at most [`LOG_PROBLEMS`]), found as `scan` finds them, with a notice saying
/// so.
fn whole_log(
    knowledge: &Knowledge,
    name: &str,
    size: u64,
    read: impl FnOnce(&mut crate::scan::Scanner) -> std::io::Result<()>,
) -> Result<Paste, String> {
    let mut scanner = crate::scan::Scanner::new(knowledge);
    read(&mut scanner).map_err(|e| format!("cannot read {name}: {e}"))?;
    let report = scanner.finish(None);
    let Some(worst) = report.problems.first().map(|p| p.level) else {
        return Ok(Paste {
            text: String::new(),
            notices: vec![format!(
                "{name}: read as a log ({} bytes); no line or event of it names a problem",
                size
            )],
        });
    };
    let mut chosen: Vec<&crate::scan::ScanProblem> = report
        .problems
        .iter()
        .take_while(|p| p.level == worst)
        .take(LOG_PROBLEMS)
        .collect();
    // What the attempt that ended with the worst problem showed before it (a certificate
    // warning before a failed TLS handshake) is its context: each of those problems once.
    let attempt = report
        .episodes
        .iter()
        .rev()
        .find(|e| e.outcome.id == chosen[0].id);
    for step in attempt.map(|e| e.steps.as_slice()).unwrap_or_default() {
        if chosen.len() >= 2 * LOG_PROBLEMS {
            break;
        }
        if let Some(problem) = report.problems.iter().find(|p| p.id == step.id) {
            if !chosen.iter().any(|c| c.id == problem.id) {
                chosen.push(problem);
            }
        }
    }
    let text = chosen
        .iter()
        .map(|p| p.diagnosed_text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let places: Vec<String> = chosen
        .iter()
        .map(|p| {
            let at = match p.first.record {
                Some(record) => format!("record {record}"),
                None => format!("line {}", p.first.line),
            };
            let times = match p.count {
                1 => "once".to_string(),
                n => format!("{n} times"),
            };
            match &p.first.time {
                Some(time) => format!("{at} ({time}), {times}"),
                None => format!("{at}, {times}"),
            }
        })
        .collect();
    let mut notices: Vec<String> = report.notices.clone();
    notices.push(format!(
        "{name} was read as a log ({size} bytes, {} {}): diagnosed are the lines of its worst and of what the same connection attempt showed before it ({}); `rdp-doctor scan` lists them all",
        report.problems.len(),
        if report.problems.len() == 1 { "problem" } else { "problems" },
        places.join("; ")
    ));
    Ok(Paste { text, notices })
}

pub(super) fn diagnose(knowledge: &Knowledge, args: &DiagnoseArgs) -> u8 {
    let paste = match read_input(knowledge, args) {
        Ok(paste) => paste,
        Err(message) => return fail(&message),
    };
    // A log in which nothing names a problem is reported (its notice says so) as a paste
    // that matched nothing.
    if paste.text.trim().is_empty() && paste.notices.is_empty() {
        return fail("the paste is empty: give the text of the error message");
    }
    let extractor = Extractor::new(knowledge);
    let matcher = Matcher::new(knowledge);
    let extraction = extractor.extract(&paste.text);
    let mut candidates = matcher.rank(&extraction, &paste.text);
    let mut notices = paste.notices.clone();
    notices.extend(knowledge.notices.iter().map(|n| n.message.clone()));
    let probes = match gather_probes(
        knowledge,
        args.host.as_deref(),
        args.gateway.as_deref(),
        &args.probing,
    ) {
        Ok(probes) => probes,
        Err(message) => return fail(&message),
    };
    if let Some(probes) = &probes {
        let (reranked, problems) = probe::rerank(knowledge, candidates, &probes.results);
        candidates = reranked;
        notices.extend(problems);
    } else if let Some(host) = extraction.hosts.first() {
        notices.push(format!(
            "the paste names {}: add `--host {}` to check it with the probes",
            host.host, host.host
        ));
    }
    // The word index is only built when the report has room for related rules.
    let ranking = Ranking::complete(knowledge, &extraction, &paste.text, candidates, || {
        Related::new(knowledge)
    });
    let redactor = if args.redact {
        redactor_for(
            Redactor::for_paste(&paste.text, &extraction),
            probes.as_ref(),
        )
    } else {
        Redactor::new()
    };
    let mut report = render::build_report(
        knowledge,
        &paste.text,
        &extraction,
        &ranking,
        &notices,
        probes.as_ref(),
        &redactor,
    );
    if let Some(top) = args.top {
        report.diagnoses.truncate(usize::from(top));
    }
    if let Err(code) = write_report(knowledge, &report, args.format, args.width, args.detail) {
        return code;
    }
    if report.diagnoses.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_DIAGNOSED
    }
}

/// Runs the probes against `host` (or reads them back from `--replay`), saving them with
/// `--record`; `None` when no host is given.
pub(super) fn gather_probes(
    knowledge: &Knowledge,
    host: Option<&str>,
    gateway: Option<&str>,
    options: &ProbeOptions,
) -> Result<Option<ProbeReport>, String> {
    if let Some(path) = &options.replay {
        let recording = Recording::load(path)
            .map_err(|problem| problem.render(std::fs::read_to_string(path).ok().as_deref()))?;
        if let Some(host) = host {
            let asked = Target::parse(host)?;
            if (asked.host.as_str(), asked.port)
                != (recording.target.host.as_str(), recording.target.port)
            {
                return Err(format!(
                    "{} holds probes of {}, not of {}",
                    path.display(),
                    recording.target.display(),
                    asked.display()
                ));
            }
        }
        let scripts = Arc::new(knowledge.probes.clone());
        let results = recording.replay(scripts, &RunOptions::default())?;
        return Ok(Some(ProbeReport {
            target: recording.target,
            replayed_from: Some(recording.recorded_at),
            results,
        }));
    }
    let Some(host) = host else {
        if options.record.is_some() {
            return Err("--record needs a host to probe (--host HOST)".into());
        }
        return Ok(None);
    };
    let mut target = Target::parse(host).map_err(|e| format!("--host: {e}"))?;
    if let Some(gateway) = gateway {
        GatewayUrl::parse(gateway).map_err(|e| format!("--gateway: {e}"))?;
        target.gateway = Some(gateway.to_string());
    }
    if std::io::stderr().is_terminal() {
        let _ = writeln!(
            std::io::stderr(),
            "rdp-doctor: probing {} ...",
            target.display()
        );
    }
    let call = Duration::from_secs_f64(options.timeout);
    let run_options = RunOptions {
        call: Limits {
            timeout: call,
            ..Limits::default()
        },
        budget: (call * 3).max(Duration::from_secs(15)),
        ..RunOptions::default()
    };
    let scripts = Arc::new(knowledge.probes.clone());
    let host = probe::Host::live();
    let results = probe::run_probes_blocking(scripts, &target, &run_options, &host)?;
    if let Some(path) = &options.record {
        Recording::new(&target, &results, host.journal())
            .save(path)
            .map_err(|problem| problem.to_string())?;
    }
    Ok(Some(ProbeReport {
        target,
        replayed_from: None,
        results,
    }))
}

/// `probe`: every probe against one host, and the remedy of each problem found.
pub(super) fn probe(knowledge: &Knowledge, args: &ProbeArgs) -> u8 {
    let probes = match gather_probes(
        knowledge,
        args.target.as_deref(),
        args.gateway.as_deref(),
        &args.probing,
    ) {
        Ok(Some(probes)) => probes,
        Ok(None) => return fail("no host given"),
        Err(message) => return fail(&message),
    };
    let (candidates, mut notices) = probe::rerank(knowledge, Vec::new(), &probes.results);
    notices.splice(0..0, knowledge.notices.iter().map(|n| n.message.clone()));
    let extraction = Extractor::new(knowledge).extract("");
    let healthy = probes
        .results
        .iter()
        .all(|r| matches!(r.status, Status::Pass | Status::Skipped));
    let redactor = if args.redact {
        redactor_for(Redactor::new(), Some(&probes))
    } else {
        Redactor::new()
    };
    let report = render::build_report(
        knowledge,
        "",
        &extraction,
        &Ranking::of_rules(candidates),
        &notices,
        Some(&probes),
        &redactor,
    );
    if let Err(code) = write_report(knowledge, &report, args.format, args.width, args.detail) {
        return code;
    }
    if healthy {
        EXIT_DIAGNOSED
    } else {
        EXIT_NO_MATCH
    }
}

/// Adds what the probes saw to a redactor: the host and gateway probed, and the names and
/// addresses in every probe's facts, summary and notes.
fn redactor_for(mut redactor: Redactor, probes: Option<&ProbeReport>) -> Redactor {
    let Some(probes) = probes else {
        return redactor;
    };
    redactor.learn_host(&probes.target.host);
    if let Some(gateway) = &probes.target.gateway {
        redactor.learn_text(gateway);
    }
    for result in &probes.results {
        redactor.learn_json(&serde_json::Value::Object(result.facts.clone()));
        redactor.learn_text(&result.summary);
        result.notes.iter().for_each(|n| redactor.learn_text(n));
    }
    redactor
}

/// Writes a report in the chosen format to standard output; `Err(exit code)` when the
/// Markdown template fails.
pub(super) fn write_report(
    knowledge: &Knowledge,
    report: &render::Report,
    format: Format,
    width: Option<usize>,
    detail: bool,
) -> Result<(), u8> {
    let output = render_report(knowledge, report, format, width, detail)?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

/// Renders a report in the chosen format, short or with every `detail` (JSON is always
/// whole); `Err(exit code)` when the Markdown template fails.
pub(super) fn render_report(
    knowledge: &Knowledge,
    report: &render::Report,
    format: Format,
    width: Option<usize>,
    detail: bool,
) -> Result<String, u8> {
    let output = match format {
        Format::Json => render::render_json(report),
        Format::Markdown => match render::render_markdown(knowledge, report, detail) {
            Ok(markdown) => markdown,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "rdp-doctor: markdown template: {error}");
                return Err(EXIT_RULESET);
            }
        },
        Format::Text => {
            let stdout = std::io::stdout();
            let color = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
            let width = width.unwrap_or_else(terminal_width);
            let style = TextStyle {
                width,
                color,
                detail,
            };
            let mut text = render::render_text(report, style);
            if report.diagnoses.is_empty() && report.probes.is_none() {
                text.push_str(NO_MATCH_ADVICE);
            }
            text
        }
    };
    Ok(output)
}

pub(super) const NO_MATCH_ADVICE: &str = "\
To teach rdp-doctor this error, write a rule: a YAML file with an id, a category, signatures
(the codes or words of this paste) and the steps that fixed it, in a folder you pass with
`--rules DIR`. `rdp-doctor explain CODE` shows what the catalog knows about a code.
";
