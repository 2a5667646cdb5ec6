//! `scan`: whole logs in, each distinct problem out once, worst first.

use super::*;
use std::path::Path;

use crate::scan::{Input, Level, ScanReport, Scanner};

/// `scan`: reads every input line by line and writes the problems found.
pub(super) fn scan(knowledge: &Knowledge, args: &ScanArgs) -> u8 {
    let (inputs, problems) = crate::scan::inputs(&args.paths);
    if inputs.is_empty() {
        for problem in &problems {
            let _ = writeln!(std::io::stderr(), "rdp-doctor: {problem}");
        }
        return fail("nothing to scan: give log files, folders, or `-` for standard input");
    }
    let mut scanner = Scanner::new(knowledge);
    problems.into_iter().for_each(|p| scanner.notice(p));
    for input in &inputs {
        let name = input.name();
        let result = match input {
            Input::Stdin => scanner.read(&name, std::io::stdin().lock()),
            Input::File(path) => {
                std::fs::File::open(path).and_then(|file| scanner.read(&name, file))
            }
        };
        if let Err(error) = result {
            scanner.notice(format!("{name}: read stopped: {error}"));
        }
    }
    let mut redactor = Redactor::new();
    let report = scanner.finish(args.redact.then_some(&mut redactor));
    let output = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Text | Format::Markdown => {
            let width = args.width.unwrap_or_else(terminal_width).max(40);
            render_scan(
                &report,
                args.format == Format::Markdown,
                width,
                args.top.map(usize::from),
            )
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    if report.problems.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_DIAGNOSED
    }
}

fn level_label(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warning => "WARN",
        Level::Info => "INFO",
    }
}

/// Where a problem was seen, in one phrase: `freerdp.log:120 (20:01:26:123)`.
fn place(seen: &crate::scan::Seen) -> String {
    match &seen.time {
        Some(time) => format!("{}:{} ({time})", seen.input, seen.line),
        None => format!("{}:{}", seen.input, seen.line),
    }
}

/// The problems as text or Markdown: a summary of the inputs, then each problem with its
/// count, first and last place, hosts and sample lines.
fn render_scan(report: &ScanReport, markdown: bool, width: usize, top: Option<usize>) -> String {
    use std::fmt::Write as _;
    // Log lines reach the terminal without control characters.
    let clean = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect()
    };
    let mut out = String::new();
    for notice in &report.notices {
        let _ = writeln!(out, "note: {}", clean(notice));
    }
    let lines: u64 = report.inputs.iter().map(|i| i.lines).sum();
    let names = match report.inputs.as_slice() {
        [one] => clean(&one.name),
        inputs => format!("{} inputs", inputs.len()),
    };
    let heading = if markdown { "# " } else { "" };
    let _ = writeln!(
        out,
        "{heading}Scanned {names} ({lines} lines, {} diagnosed)",
        report.diagnosed_lines
    );
    if report.problems.is_empty() {
        let _ = writeln!(out, "\nNo problem recognised.");
        return out;
    }
    let shown = top.unwrap_or(usize::MAX).min(report.problems.len());
    let count = report.problems.len();
    let _ = writeln!(
        out,
        "\n{}{count} {}, worst first",
        if markdown { "## " } else { "" },
        if count == 1 { "problem" } else { "problems" }
    );
    for (n, problem) in report.problems.iter().take(shown).enumerate() {
        let times = if problem.count == 1 {
            "once".to_string()
        } else {
            format!("{} times", problem.count)
        };
        if markdown {
            let _ = writeln!(
                out,
                "\n### {}. {} ({}, {})\n\n{} · {} · confidence {:.2} · {} `{}`\n",
                n + 1,
                crate::render::markdown_text(&clean(&problem.title)),
                level_label(problem.level),
                problem.category,
                times,
                if problem.count == 1 {
                    format!("at {}", place(&problem.first))
                } else {
                    format!(
                        "first {}, last {}",
                        place(&problem.first),
                        place(&problem.last)
                    )
                },
                problem.score,
                problem.kind,
                problem.id
            );
            if !problem.hosts.is_empty() {
                let hosts: Vec<String> = problem
                    .hosts
                    .iter()
                    .map(|h| crate::render::markdown_code_span(&clean(h)))
                    .collect();
                let _ = writeln!(out, "Hosts: {}\n", hosts.join(", "));
            }
            let _ = writeln!(out, "```text");
            for sample in &problem.samples {
                let _ = writeln!(
                    out,
                    "{}:{}: {}",
                    clean(&sample.seen.input),
                    sample.seen.line,
                    clean(&sample.text).replace("```", "'''")
                );
            }
            let _ = writeln!(out, "```");
            continue;
        }
        let lead = format!("{:>3}. {:<5}  ", n + 1, level_label(problem.level));
        let title: String = clean(&problem.title);
        let title = render::shorten(&title, width.saturating_sub(lead.len()).max(20));
        let _ = writeln!(out, "\n{lead}{title}");
        let indent = " ".repeat(lead.len());
        let when = if problem.count == 1 {
            format!("at {}", clean(&place(&problem.first)))
        } else {
            format!(
                "first {}, last {}",
                clean(&place(&problem.first)),
                clean(&place(&problem.last))
            )
        };
        let about = format!(
            "{} | {times}, {when} | confidence {:.2} | {} {}",
            problem.category, problem.score, problem.kind, problem.id
        );
        // Wrapped between words only: a path, a time or an id is never split.
        let options = textwrap::Options::new(width.saturating_sub(indent.len()).max(20))
            .break_words(false)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for part in textwrap::wrap(&about, options) {
            let _ = writeln!(out, "{indent}{part}");
        }
        if !problem.hosts.is_empty() {
            let hosts: Vec<String> = problem.hosts.iter().map(|h| clean(h)).collect();
            let _ = writeln!(out, "{indent}hosts: {}", hosts.join(", "));
        }
        for sample in &problem.samples {
            // The file's name is enough here; its path is in the line above.
            let input = Path::new(&sample.seen.input).file_name().map_or_else(
                || sample.seen.input.clone(),
                |n| n.to_string_lossy().into_owned(),
            );
            let line = format!(
                "{}:{}: {}",
                clean(&input),
                sample.seen.line,
                clean(&sample.text)
            );
            let line = render::shorten(&line, width.saturating_sub(indent.len() + 2).max(20));
            let _ = writeln!(out, "{indent}> {line}");
        }
    }
    let more = if shown < report.problems.len() {
        format!("{} more: --top N", report.problems.len() - shown)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nFor the causes and fixes of a problem: rdp-doctor diagnose \"<a sample line>\"{}",
        if more.is_empty() {
            String::new()
        } else {
            format!("; {more}")
        }
    );
    out
}
