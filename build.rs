//! Rebuilds the binary when the embedded knowledge changes (include_dir cannot tell Cargo).

fn main() {
    for dir in ["catalog", "rules", "probes", "site"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
