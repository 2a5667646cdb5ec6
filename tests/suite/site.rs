//! `site build`: every page is there, every local link resolves, nothing loads from outside,
//! nothing a rule says can become markup, and templates from extra folders are used.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::golden::assert_golden;

fn build(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["site", "build", "--out", out.to_str().expect("UTF-8 path")];
    args.extend_from_slice(extra);
    super::rdp_doctor_command()
        .current_dir(super::root())
        .args(&args)
        .output()
        .expect("rdp-doctor runs")
}

fn built(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = build(dir.path(), extra);
    assert!(
        output.status.success(),
        "site build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

fn read(dir: &Path, relative: &str) -> String {
    std::fs::read_to_string(dir.join(relative))
        .unwrap_or_else(|e| panic!("{relative} is missing: {e}"))
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every value of `attribute="..."` in an HTML page.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

fn rule_ids() -> Vec<String> {
    let output = super::rdp_doctor_command()
        .args(["rules", "list", "--format", "json"])
        .output()
        .expect("rdp-doctor runs");
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    rules
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().expect("an id").to_string())
        .collect()
}

#[test]
fn every_rule_code_category_and_guide_has_a_page() {
    let site = built(&[]);
    let dir = site.path();
    for page in [
        "index.html",
        "search/index.html",
        "codes/index.html",
        "codes/disconnect/index.html",
        "codes/disconnect/0x904/index.html",
        "codes/extended/0x7/index.html",
        "codes/errinfo/0x7/index.html",
        "codes/errconnect/0x2000d/index.html",
        "categories/certificate/index.html",
        "categories/nla_credssp/index.html",
        "authoring/index.html",
        "404.html",
        "sitemap.xml",
        "assets/style.css",
        "assets/search-index.js",
        "assets/knowledge.js",
        "assets/engine-module.js",
        "assets/engine.js",
        "assets/paste.js",
    ] {
        assert!(dir.join(page).is_file(), "{page} is missing");
    }
    let ids = rule_ids();
    assert!(ids.len() >= 60, "{} rules", ids.len());
    let sitemap = read(dir, "sitemap.xml");
    for id in &ids {
        let page = read(dir, &format!("rules/{id}/index.html"));
        assert!(page.contains("<h1>"), "rules/{id} has no heading");
        assert!(sitemap.contains(&format!("<loc>rules/{id}/</loc>")), "{id}");
    }
    let code = read(dir, "codes/disconnect/0x904/index.html");
    assert!(code.contains("Socket closed"), "{code}");
    assert!(code.contains("rules/rdp-certificate-expired-or-unreadable/index.html"));
    // The rule names `extended:0x7`: the extended reason's page lists it, ERRINFO 0x7's not.
    let extended = read(dir, "codes/extended/0x7/index.html");
    assert!(extended.contains("rules/rdp-certificate-expired-or-unreadable/index.html"));
    let errinfo = read(dir, "codes/errinfo/0x7/index.html");
    assert!(!errinfo.contains("rules/rdp-certificate-expired-or-unreadable/index.html"));
    let guide = read(dir, "authoring/index.html");
    assert!(
        guide.contains("<h1>") && guide.contains("rules check"),
        "{guide}"
    );
    // The search index, the knowledge and the engine are scripts assigning a global, which
    // file:// pages can load.
    assert!(read(dir, "assets/search-index.js").starts_with("window.RDP_DOCTOR_SEARCH = {"));
    assert!(read(dir, "assets/knowledge.js").starts_with("window.RDP_DOCTOR_KNOWLEDGE = \"{"));
    let module = read(dir, "assets/engine-module.js");
    // "AGFzbQ" is the base64 of the WebAssembly magic number, `\0asm`.
    assert!(
        module.starts_with("window.RDP_DOCTOR_ENGINE = \"AGFzbQ"),
        "{}",
        &module[..60]
    );
}

#[test]
fn rule_and_code_pages_match_their_golden_files() {
    let site = built(&[]);
    let version = format!("rdp-doctor {}.", env!("CARGO_PKG_VERSION"));
    let page =
        |relative: &str| read(site.path(), relative).replace(&version, "rdp-doctor VERSION.");
    assert_golden(
        "site-rule.html",
        &page("rules/rdp-certificate-expired-or-unreadable/index.html"),
    );
    assert_golden("site-code.html", &page("codes/disconnect/0x904/index.html"));
}

#[test]
fn every_local_link_resolves_and_nothing_loads_from_outside() {
    let site = built(&[]);
    let dir = site.path();
    let mut checked = 0;
    let mut broken = BTreeSet::new();
    for file in files(dir) {
        if file.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = std::fs::read_to_string(&file).expect("UTF-8 page");
        let page = file
            .strip_prefix(dir)
            .expect("under the site")
            .display()
            .to_string();
        // A strict Content-Security-Policy holds: no inline script, handler or style.
        assert!(html.contains("Content-Security-Policy"), "{page}");
        for forbidden in [
            " onclick=",
            " onload=",
            " onerror=",
            " style=\"",
            "javascript:",
        ] {
            assert!(!html.contains(forbidden), "{page} holds {forbidden}");
        }
        for (at, _) in html.match_indices("<script") {
            let tag = &html[at..at + html[at..].find('>').expect("a closed tag")];
            assert!(tag.contains(" src=\""), "{page}: inline script {tag}");
        }
        // Scripts and style sheets come from the site itself.
        for value in attribute_values(&html, "src") {
            assert!(!value.contains("://"), "{page} loads {value}");
        }
        for (at, _) in html.match_indices("<link ") {
            let tag = &html[at..at + html[at..].find('>').expect("a closed tag")];
            let external = attribute_values(tag, "href")
                .iter()
                .any(|h| h.contains("://"));
            assert!(
                !external || tag.contains("rel=\"canonical\""),
                "{page}: {tag}"
            );
        }
        if page == "404.html" {
            continue; // Its links are absolute to the site root, for any depth.
        }
        for link in attribute_values(&html, "href")
            .into_iter()
            .chain(attribute_values(&html, "src"))
        {
            if link.contains("://") || link.starts_with('#') || link.starts_with("mailto:") {
                continue;
            }
            let path = link.split(['#', '?']).next().unwrap_or_default();
            let target = file.parent().expect("a folder").join(path);
            checked += 1;
            if !target.is_file() {
                broken.insert(format!("{page} -> {link}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n{}",
        broken.into_iter().collect::<Vec<_>>().join("\n")
    );
    assert!(checked > 5000, "only {checked} links checked");
}

#[test]
fn rule_texts_cannot_become_markup() {
    let site = built(&["--rules", "tests/fixtures/rules/xss"]);
    let dir = site.path();
    let mut pages_with_payload = 0;
    for file in files(dir) {
        let text = std::fs::read_to_string(&file).expect("UTF-8 file");
        let name = file.display().to_string();
        if name.ends_with(".js") {
            // Inside a script file the payload is data; it must not be able to end a script.
            assert!(!text.to_ascii_lowercase().contains("</script"), "{name}");
            continue;
        }
        assert!(!text.contains("<script>alert(1)</script>"), "{name}");
        assert!(!text.contains("<img src=x onerror=alert(1)>"), "{name}");
        if text.contains("&lt;script&gt;alert(1)&lt;/script&gt;") {
            pages_with_payload += 1;
        }
    }
    // The payload is shown, as text, on the rule's page, its category and related pages.
    assert!(
        pages_with_payload >= 2,
        "{pages_with_payload} pages show the payload"
    );
    // In the index scripts it stays inside JSON strings, unable to close the script.
    let search = read(dir, "assets/search-index.js");
    assert!(
        search.contains("<\\/script>"),
        "the search index escapes </script>"
    );
}

#[test]
fn base_url_makes_the_sitemap_and_canonical_links_absolute() {
    let site = built(&["--base-url", "https://help.example.com/rdp"]);
    let sitemap = read(site.path(), "sitemap.xml");
    assert!(sitemap.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(sitemap.contains("<loc>https://help.example.com/rdp/codes/disconnect/0x904/</loc>"));
    assert!(!sitemap.contains("404.html"), "the 404 page is not listed");
    let rule = read(
        site.path(),
        "rules/rdp-certificate-expired-or-unreadable/index.html",
    );
    assert!(rule.contains(
        "<link rel=\"canonical\" href=\"https://help.example.com/rdp/rules/rdp-certificate-expired-or-unreadable/\">"
    ));
    let missing = read(site.path(), "404.html");
    assert!(missing.contains("href=\"https://help.example.com/rdp/assets/style.css\""));

    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = build(dir.path(), &["--base-url", "help.example.com"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("absolute http(s) URL"));
}

#[test]
fn templates_from_an_extra_folder_replace_the_embedded_ones() {
    let site = built(&["--rules", "tests/fixtures/rules/site-template"]);
    let missing = read(site.path(), "404.html");
    assert!(
        missing.contains("Call the service desk on extension 4242"),
        "{missing}"
    );
    // The rest of the site still uses the embedded templates.
    assert!(read(site.path(), "index.html").contains("id=\"paste\""));

    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = build(
        dir.path(),
        &["--rules", "tests/fixtures/rules/site-broken-template"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("site/pages/category.html.j2:3: undefined value"),
        "{stderr}"
    );
}
