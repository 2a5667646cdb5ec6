//! Probe rate: RDP negotiation plus TLS certificate fetch against live servers, as one JSON line.

use std::sync::Arc;
use std::time::Instant;

use rdp_doctor::probe::net::{DEFAULT_REQUEST, Limits, split_host_port, tls_certificate};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

struct Options {
    targets: Vec<(String, u16)>,
    count: usize,
    concurrency: usize,
}

fn usage(message: &str) -> ! {
    eprintln!("probe_rate: {message}");
    eprintln!("usage: probe_rate --targets host:port[,host:port...] [--count N] [--concurrency C]");
    std::process::exit(2);
}

fn parse_args() -> Options {
    let mut options = Options {
        targets: Vec::new(),
        count: 1000,
        concurrency: 32,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        // `cargo bench` adds `--bench`; other unknown flags are ignored too.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |flag: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match name.as_str() {
            "--targets" => {
                for target in value("--targets").split(',').filter(|t| !t.is_empty()) {
                    options
                        .targets
                        .push(split_host_port(target, 3389).unwrap_or_else(|e| usage(&e)));
                }
            }
            "--count" => {
                options.count = value("--count")
                    .parse()
                    .unwrap_or_else(|_| usage("--count must be a number"));
            }
            "--concurrency" => {
                options.concurrency = value("--concurrency")
                    .parse()
                    .ok()
                    .filter(|c| *c > 0)
                    .unwrap_or_else(|| usage("--concurrency must be a positive number"));
            }
            _ => {}
        }
    }
    if options.targets.is_empty() {
        usage("no --targets given");
    }
    options
}

/// Peak resident set size of this process (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

#[derive(Default)]
struct Tally {
    ok: usize,
    errors: usize,
}

impl Tally {
    fn add(&mut self, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.ok += 1,
            Err(message) => {
                // The first few on stderr, so failures are visible, not just counted.
                if self.errors < 5 {
                    eprintln!("probe_rate: error: {message}");
                }
                self.errors += 1;
            }
        }
    }
}

fn main() {
    let options = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");

    let (ok, errors, seconds) = runtime.block_on(async {
        let permits = Arc::new(Semaphore::new(options.concurrency));
        let mut tasks = JoinSet::new();
        let mut tally = Tally::default();
        let start = Instant::now();
        for i in 0..options.count {
            let (host, port) = options.targets[i % options.targets.len()].clone();
            let permit = permits
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore open");
            // Reap finished probes as we go, so memory stays flat whatever the count.
            while let Some(joined) = tasks.try_join_next() {
                tally.add(joined.expect("probe task"));
            }
            tasks.spawn(async move {
                let result = tls_certificate(&host, port, DEFAULT_REQUEST, Limits::default()).await;
                drop(permit);
                // A probe counts only when it really read the server's certificate.
                match result {
                    Ok(report) if report.certificate.is_some() => Ok(()),
                    Ok(_) => Err(format!("{host}:{port}: handshake without a certificate")),
                    Err(error) => Err(format!("{host}:{port}: {} ({})", error.kind, error.message)),
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            tally.add(joined.expect("probe task"));
        }
        (tally.ok, tally.errors, start.elapsed().as_secs_f64())
    });

    // Fields in a fixed order, one line, so shell scripts can read it.
    let line = format!(
        concat!(
            r#"{{"tool":"rdp-doctor","probes":{},"ok":{},"errors":{},"seconds":{:.3},"#,
            r#""probes_per_second":{:.1},"concurrency":{},"peak_rss_kib":{}}}"#
        ),
        options.count,
        ok,
        errors,
        seconds,
        options.count as f64 / seconds,
        options.concurrency,
        peak_rss_kib(),
    );
    println!("{line}");
}
