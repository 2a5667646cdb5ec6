//! `diagnose` and `probe`: read a paste, rank, probe a host, write the report.

use super::*;

pub(super) fn read_input(args: &DiagnoseArgs) -> Result<Paste, String> {
    if let Some(path) = &args.file {
        return std::fs::read(path)
            .map(Paste::from_bytes)
            .map_err(|e| format!("cannot read {}: {e}", path.display()));
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
    Ok(Paste::from_bytes(bytes))
}

pub(super) fn diagnose(knowledge: &Knowledge, args: &DiagnoseArgs) -> u8 {
    let paste = match read_input(args) {
        Ok(paste) => paste,
        Err(message) => return fail(&message),
    };
    if paste.text.trim().is_empty() {
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
