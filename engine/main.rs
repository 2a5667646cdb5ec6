//! The `rdp-doctor` command.

fn main() -> std::process::ExitCode {
    rdp_doctor::cli::run()
}
