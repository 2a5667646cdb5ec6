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
    scanner.window(args.since.clone(), args.until.clone());
    problems.into_iter().for_each(|p| scanner.notice(p));
    let bar = progress_bar(!args.no_progress, &inputs);
    for input in &inputs {
        let name = input.name();
        let result = match input {
            Input::Stdin => scanner.read(&name, std::io::stdin().lock()),
            Input::File(path) => std::fs::File::open(path).and_then(|file| {
                let counted = Counted {
                    inner: file,
                    bar: bar.clone(),
                };
                scanner.read_file(&name, counted)
            }),
        };
        if let Err(error) = result {
            scanner.notice(format!("{name}: read stopped: {error}"));
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
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

/// A progress bar over the files' bytes on standard error, when it is a terminal and the
/// files are over 8 MB (never when standard error is piped).
fn progress_bar(wanted: bool, inputs: &[Input]) -> Option<indicatif::ProgressBar> {
    let total: u64 = inputs
        .iter()
        .filter_map(|input| match input {
            Input::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            Input::Stdin => None,
        })
        .sum();
    if !wanted || total <= 8_000_000 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} scanning {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    );
    if let Ok(style) = style {
        bar.set_style(style);
    }
    Some(bar)
}

/// A file that moves the progress bar by the bytes read from it.
struct Counted<R> {
    inner: R,
    bar: Option<indicatif::ProgressBar>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        if let Some(bar) = &self.bar {
            bar.inc(read as u64);
        }
        Ok(read)
    }
}

impl<R: std::io::Seek> std::io::Seek for Counted<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
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
    let events: u64 = report.inputs.iter().map(|i| i.events).sum();
    let mut read = Vec::new();
    if lines > 0 || events == 0 {
        read.push(format!("{lines} lines"));
    }
    if events > 0 {
        read.push(format!("{events} events"));
    }
    read.push(format!("{} diagnosed", report.diagnosed_lines));
    if report.outside_window > 0 {
        read.push(format!("{} outside --since/--until", report.outside_window));
    }
    if report.undated > 0 {
        read.push(format!("{} kept without a date", report.undated));
    }
    let _ = writeln!(out, "{heading}Scanned {names} ({})", read.join(", "));
    if report.problems.is_empty() {
        let _ = writeln!(out, "\nNo problem recognised.");
        render_attempts(&mut out, report, markdown, width, top, &clean);
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
    render_attempts(&mut out, report, markdown, width, top, &clean);
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

/// How many failed attempts the text report lists without `--top`.
const ATTEMPTS_SHOWN: usize = 10;

/// The connection attempts: how many, how many failed, and the failed ones in the order they
/// started, each in one line with the step that ended it.
fn render_attempts(
    out: &mut String,
    report: &ScanReport,
    markdown: bool,
    width: usize,
    top: Option<usize>,
    clean: &dyn Fn(&str) -> String,
) {
    use std::fmt::Write as _;
    let attempts = &report.attempts;
    if attempts.total == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}Connection attempts: {}, {} failed",
        if markdown { "## " } else { "" },
        attempts.total,
        attempts.failed
    );
    let failed: Vec<_> = report.episodes.iter().filter(|e| e.failed()).collect();
    let shown = top.unwrap_or(ATTEMPTS_SHOWN).min(failed.len());
    if shown > 0 && markdown {
        let _ = writeln!(
            out,
            "\n| Started | Attempt | Steps | Ended with |\n| --- | --- | --- | --- |"
        );
    } else if shown > 0 {
        let _ = writeln!(out);
    }
    for episode in failed.iter().take(shown) {
        let when = episode
            .first
            .time
            .clone()
            .unwrap_or_else(|| format!("{}:{}", episode.first.input, episode.first.line));
        let mut who: Vec<String> = episode.users.iter().map(|u| format!("user {u}")).collect();
        who.extend(
            episode
                .clients
                .iter()
                .filter(|c| !episode.key.contains(c.as_str()))
                .map(|c| format!("from {c}")),
        );
        let key = if who.is_empty() {
            episode.key.clone()
        } else {
            format!("{} ({})", episode.key, who.join(", "))
        };
        let outcome = format!(
            "{} {}: {}",
            level_label(episode.outcome.level),
            episode.outcome.id,
            episode.outcome.title
        );
        if markdown {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                crate::render::markdown_text(&clean(&when)),
                crate::render::markdown_text(&clean(&key)),
                episode.count,
                crate::render::markdown_text(&clean(&outcome))
            );
        } else {
            let steps = if episode.count == 1 { "step" } else { "steps" };
            let line = format!(
                "  {}  {}, {} {steps} -> {}",
                clean(&when),
                clean(&key),
                episode.count,
                clean(&outcome)
            );
            let _ = writeln!(out, "{}", render::shorten(&line, width.max(40)));
        }
    }
    if failed.len() > shown {
        let _ = writeln!(
            out,
            "\n{} more failed attempts: --top N or --format json",
            failed.len() - shown
        );
    }
}
