//! Every resource limit of rdp-doctor in one place: how much a knowledge folder, a server or a
//! recording may make it read, compute or write. The README's "Limits" table lists each one.
//!
//! A paste has no limit: time and memory grow linearly with it.

use std::time::Duration;

/// The largest knowledge file read, in bytes; the largest embedded one is about 160 KB.
pub const KNOWLEDGE_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Flow collections (`[`, `{`) of a YAML file may nest this deep; a knowledge file needs four
/// or five levels.
pub const YAML_FLOW_DEPTH: usize = 64;

/// The largest a rule's regex may compile to, in bytes.
pub const RULE_REGEX_BYTES: usize = 1 << 20;

/// Occurrences the approximate phrase search reports per phrase and text.
pub const APPROXIMATE_PLACES: usize = 16;

/// Approximate verifications that may fail per phrase and text before only exact occurrences
/// of that phrase are looked for.
pub const APPROXIMATE_FAILED_TRIES: usize = 64;

/// How much a template may do when rendered once: `fuel` counts the template engine's
/// instructions, `output` the bytes it writes. A loop that would never finish in practice
/// (`range(100000)` inside another) runs out of fuel instead.
#[derive(Debug, Clone, Copy)]
pub struct TemplateBudget {
    /// Instructions of the template engine.
    pub fuel: u64,
    /// Bytes of output.
    pub output: usize,
}

/// A rule's or catalog entry's text.
pub const TEXT_BUDGET: TemplateBudget = TemplateBudget {
    fuel: 100_000,
    output: 256 * 1024,
};

/// The Markdown report.
pub const REPORT_BUDGET: TemplateBudget = TemplateBudget {
    fuel: 5_000_000,
    output: 16 * 1024 * 1024,
};

/// A page of the site (the largest, the list of every code, needs a few hundred thousand).
pub const PAGE_BUDGET: TemplateBudget = TemplateBudget {
    fuel: 20_000_000,
    output: 64 * 1024 * 1024,
};

/// Limits of the Rhai sandbox, for probe scripts and rules' probe expressions.
#[derive(Debug, Clone, Copy)]
pub struct SandboxLimits {
    /// Most Rhai operations one script may run.
    pub max_operations: u64,
    /// Deepest function call nesting.
    pub max_call_levels: usize,
    /// Deepest expression nesting (global, in functions).
    pub max_expr_depth: (usize, usize),
    /// Longest string, in bytes.
    pub max_string_size: usize,
    /// Largest array.
    pub max_array_size: usize,
    /// Largest map.
    pub max_map_size: usize,
    /// Most modules (probe libraries) one script may import.
    pub max_modules: usize,
}

impl SandboxLimits {
    /// The limits of a probe script.
    pub const DEFAULT: SandboxLimits = PROBE_SCRIPT;
}

impl Default for SandboxLimits {
    fn default() -> SandboxLimits {
        PROBE_SCRIPT
    }
}

/// A probe script.
pub const PROBE_SCRIPT: SandboxLimits = SandboxLimits {
    max_operations: 2_000_000,
    max_call_levels: 32,
    max_expr_depth: (64, 32),
    max_string_size: 1 << 20,
    max_array_size: 10_000,
    max_map_size: 10_000,
    max_modules: 16,
};

/// A rule's probe expression: a handful of comparisons.
pub const PROBE_EXPRESSION: SandboxLimits = SandboxLimits {
    max_operations: 100_000,
    ..PROBE_SCRIPT
};

/// Probe libraries may import libraries this deep, and no deeper (and never in a cycle).
pub const PROBE_IMPORT_DEPTH: usize = 8;

/// Threads that carry the probes' network calls.
pub const PROBE_THREADS: usize = 2;

/// Probe scripts that run at once (each on a thread of its own); the scripts of one layer beyond
/// this wait for a thread.
pub const PROBE_SCRIPTS_AT_ONCE: usize = 64;

/// Wall-clock budget of one probe script, its network calls included.
pub const PROBE_SCRIPT_TIME: Duration = Duration::from_secs(15);

/// Budget of one network call of a probe (resolve, connect, exchange, handshake).
pub const NETWORK_CALL_TIME: Duration = Duration::from_secs(5);

/// Most bytes read from a peer in one network call.
pub const NETWORK_CALL_BYTES: u64 = 256 * 1024;

/// The longest host name DNS allows, in characters.
pub const HOST_NAME_CHARS: usize = 253;

/// The largest recording `--replay` reads, in bytes.
pub const RECORDING_BYTES: u64 = 64 * 1024 * 1024;
