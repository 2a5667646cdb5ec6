//! `site build`: writes the static website.

use super::*;

/// `site build`: renders every page into `out`.
pub(super) fn build_site(
    knowledge: &Knowledge,
    layers: &[Layer],
    out: &std::path::Path,
    base_url: Option<&str>,
) -> u8 {
    if let Some(url) = base_url {
        let absolute = url.starts_with("https://") || url.starts_with("http://");
        if !absolute {
            return fail(&format!(
                "--base-url must be an absolute http(s) URL, not `{url}`"
            ));
        }
    }
    let started = std::time::Instant::now();
    let options = crate::site::SiteOptions {
        base_url: base_url.map(str::to_string),
    };
    let site = crate::site::Site::new(knowledge, layers, options);
    for warning in site.warnings() {
        eprintln!("warning: {warning}");
    }
    match crate::site::write_site(&site, out) {
        Ok((files, bytes)) => {
            if base_url.is_none() {
                eprintln!(
                    "note: sitemap.xml lists paths relative to the site; pass --base-url for the absolute URLs search engines need"
                );
            }
            eprintln!(
                "wrote {files} files ({:.1} MiB) to {} in {:.2} s: {} rules, {} codes",
                bytes as f64 / (1024.0 * 1024.0),
                out.display(),
                started.elapsed().as_secs_f64(),
                knowledge.rules.len(),
                knowledge.catalog.entries().len()
            );
            EXIT_DIAGNOSED
        }
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            EXIT_RULESET
        }
    }
}
