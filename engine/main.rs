//! The `rdp-doctor` command.

/// An allocator that keeps its speed when several threads allocate at once (reading an event
/// log on every core allocates for every record).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rdp_doctor::cli::run()
}
