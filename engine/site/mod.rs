//! The static troubleshooting website: a page per rule, code and category, search, paste box.
//!
//! Every page is plain HTML rendered with minijinja from the knowledge's `site/pages/*.j2`
//! templates (auto-escaped; an extra folder may replace them), plus the assets of
//! `site/assets/`. Pages link to each other by relative paths ending in `index.html`, so the
//! site works from `file://` as well as from any static host. The search index, the paste
//! box's knowledge and its engine (WebAssembly, base64) are scripts that assign a global:
//! browsers refuse `fetch()` of local files, not `<script src>`.

mod search_index;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use crate::catalog::{
    Bundle, CatalogEntry, Category, CodeRef, Family, Knowledge, Layer, Origin, Problem,
    ProblemKind, Reference,
};
use crate::extract::Extraction;
use crate::matcher::Candidate;
pub use crate::model::{code_path, rule_path, slug};
use crate::ranking::Ranking;
use crate::render::{self, Diagnosis};

/// The site's assets, copied as they are (path under `site/assets/`).
const ASSETS: &[&str] = &[
    "style.css",
    "theme.js",
    "common.js",
    "search.js",
    "paste.js",
    "engine.js",
];

/// The engine built for the browser by `wasm/build.sh` (extraction and ranking, no network).
const ENGINE_WASM: &[u8] = include_bytes!("../../site/assets/engine.wasm");

/// The authoring guide, published as a page.
const AUTHORING_GUIDE: &str = include_str!("../../AUTHORING.md");

/// How many codes the index lists as common errors.
const COMMON_CODES: usize = 12;

/// How many related rules a rule page lists.
const RELATED_RULES: usize = 6;

/// Options of `site build`.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// The URL the site will be served from (`https://help.example.com/rdp/`), for the
    /// sitemap, canonical links and the 404 page; without it those use relative paths.
    pub base_url: Option<String>,
}

/// One page or file of the site, rendered on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The home page: the paste box, the categories, the common errors.
    Index,
    /// The search page.
    Search,
    /// Every code, by family.
    Codes,
    /// The codes of one family.
    Family(Family),
    /// One catalog entry.
    Code(usize),
    /// One rule.
    Rule(usize),
    /// The rules of one category.
    Category(Category),
    /// The authoring guide.
    Authoring,
    /// The page a static host serves for a missing path.
    NotFound,
    /// The sitemap.
    Sitemap,
    /// A static asset.
    Asset(&'static str),
    /// The search index script.
    SearchIndex,
    /// The paste box's knowledge: the catalog and rule files, as the engine reads them.
    Knowledge,
    /// The paste box's engine: the WebAssembly module in a script.
    EngineModule,
}

/// A rendered file: where it goes under the output folder, and its content.
#[derive(Debug)]
pub struct SiteFile {
    /// Relative path with `/` separators.
    pub path: String,
    /// The bytes to write.
    pub content: String,
}

/// The site of one knowledge base, ready to render page by page (from several threads).
pub struct Site<'k> {
    knowledge: &'k Knowledge,
    env: Environment<'k>,
    options: SiteOptions,
    /// The rule texts rendered for a reader (no host known).
    diagnoses: Vec<Diagnosis>,
    /// Categories that have rules, with how many.
    categories: Vec<(Category, usize)>,
    /// Problems met while preparing (template errors in rule texts).
    warnings: Vec<String>,
    /// The catalog and rule files for the paste box's engine.
    bundle: Bundle,
}

impl<'k> Site<'k> {
    /// Prepares the site of `knowledge`: the template environment and the links between rules
    /// and codes. Rule texts are rendered here, once.
    pub fn new(knowledge: &'k Knowledge, layers: &[Layer], options: SiteOptions) -> Site<'k> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(crate::render::PAGE_BUDGET.fuel));
        env.set_auto_escape_callback(|name| {
            let name = name.strip_suffix(".j2").unwrap_or(name);
            if name.ends_with(".html") || name.ends_with(".xml") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Text is escaped for HTML, but `/` stays as it is: paths and URLs read as written.
        env.set_formatter(|out, state, value| {
            let html = matches!(state.auto_escape(), AutoEscape::Html);
            match value.as_str() {
                Some(text) if html && !value.is_safe() => {
                    out.write_str(&escape_html(text))?;
                    Ok(())
                }
                _ => minijinja::escape_formatter(out, state, value),
            }
        });
        for (name, template) in &knowledge.templates {
            if name.starts_with("pages/") {
                // A template that does not parse is reported when a page uses it.
                let _ = env.add_template_owned(name.clone(), template.text.clone());
            }
        }
        let candidates: Vec<Candidate> = (0..knowledge.rules.len())
            .map(|rule| Candidate {
                rule,
                raw: 0.0,
                score: 0.0,
                evidence: Vec::new(),
                probes: Vec::new(),
            })
            .collect();
        let report = render::build_report(
            knowledge,
            "",
            &Extraction::default(),
            &Ranking::of_rules(candidates),
            &[],
            None,
            &crate::redact::Redactor::new(),
        );
        let categories = Category::ALL
            .iter()
            .map(|&c| {
                (
                    c,
                    knowledge.rules.iter().filter(|r| r.category == c).count(),
                )
            })
            .filter(|(_, count)| *count > 0)
            .collect();
        Site {
            knowledge,
            env,
            options,
            diagnoses: report.diagnoses,
            categories,
            warnings: report.notices,
            bundle: Bundle::from_layers(layers),
        }
    }

    /// Problems met while preparing, to report (the pages still render).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Every page and file of the site.
    pub fn pages(&self) -> Vec<Page> {
        let mut pages = vec![
            Page::Index,
            Page::Search,
            Page::Codes,
            Page::Authoring,
            Page::NotFound,
            Page::Sitemap,
            Page::SearchIndex,
            Page::Knowledge,
            Page::EngineModule,
        ];
        pages.extend(ASSETS.iter().map(|a| Page::Asset(a)));
        pages.extend(self.families().into_iter().map(Page::Family));
        pages.extend(
            self.categories()
                .into_iter()
                .map(|(c, _)| Page::Category(c)),
        );
        pages.extend((0..self.knowledge.catalog.entries().len()).map(Page::Code));
        pages.extend((0..self.knowledge.rules.len()).map(Page::Rule));
        pages
    }

    /// The path of `page` under the output folder.
    pub fn path(&self, page: Page) -> String {
        match page {
            Page::Index => "index.html".into(),
            Page::Search => "search/index.html".into(),
            Page::Codes => "codes/index.html".into(),
            Page::Family(family) => format!("codes/{}/index.html", family.prefix()),
            Page::Code(e) => code_path(&self.knowledge.catalog.entries()[e]),
            Page::Rule(r) => rule_path(&self.knowledge.rules[r].id),
            Page::Category(category) => format!("categories/{}/index.html", category.as_str()),
            Page::Authoring => "authoring/index.html".into(),
            Page::NotFound => "404.html".into(),
            Page::Sitemap => "sitemap.xml".into(),
            Page::Asset(name) => format!("assets/{name}"),
            Page::SearchIndex => "assets/search-index.js".into(),
            Page::Knowledge => "assets/knowledge.js".into(),
            Page::EngineModule => "assets/engine-module.js".into(),
        }
    }

    /// Renders one page.
    pub fn render(&self, page: Page) -> Result<SiteFile, Box<Problem>> {
        let path = self.path(page);
        let content = match page {
            Page::Asset(name) => crate::catalog::embedded_site_file(&format!("assets/{name}"))
                .unwrap_or_default()
                .to_string(),
            Page::SearchIndex => {
                let index = search_index::build(self);
                format!(
                    "window.RDP_DOCTOR_SEARCH = {};\n",
                    script_json(&serde_json::to_string(&index).unwrap_or_default())
                )
            }
            // A JSON text in a string: the page hands it to the engine without parsing it.
            // The paste box also shows each rule's summary and first step as its page does.
            Page::Knowledge => format!(
                "window.RDP_DOCTOR_KNOWLEDGE = {};\nwindow.RDP_DOCTOR_SUMMARIES = {};\n",
                script_json(
                    &serde_json::to_string(
                        &serde_json::to_string(&self.bundle).unwrap_or_default()
                    )
                    .unwrap_or_default()
                ),
                script_json(&serde_json::to_string(&self.rule_summaries()).unwrap_or_default())
            ),
            Page::EngineModule => format!(
                "window.RDP_DOCTOR_ENGINE = \"{}\";\n",
                data_encoding::BASE64.encode(ENGINE_WASM)
            ),
            Page::Sitemap => {
                let urls: Vec<String> = self
                    .pages()
                    .into_iter()
                    .filter(|p| is_html_page(*p) && *p != Page::NotFound)
                    .map(|p| self.url(&self.path(p)))
                    .collect();
                self.template("pages/sitemap.xml.j2", &path, context! { urls })?
            }
            _ => self.render_html(page, &path)?,
        };
        Ok(SiteFile { path, content })
    }

    fn render_html(&self, page: Page, path: &str) -> Result<String, Box<Problem>> {
        let depth = path.matches('/').count();
        // The 404 page is served at any depth: its links must not be relative.
        let root = if page == Page::NotFound {
            self.options
                .base_url
                .as_deref()
                .map_or_else(|| "/".to_string(), with_slash)
        } else {
            "../".repeat(depth)
        };
        let base = context! {
            root => root,
            canonical => self.options.base_url.as_ref().map(|_| self.url(path)),
            categories => serde_value(self.category_views()),
            version => env!("CARGO_PKG_VERSION"),
        };
        let (name, vars) = match page {
            Page::Index => (
                "pages/index.html.j2",
                context! {
                    common => serde_value(self.common_codes()),
                    families => serde_value(self.family_views()),
                    rule_count => self.knowledge.rules.len(),
                    code_count => self.knowledge.catalog.entries().len(),
                },
            ),
            Page::Search => ("pages/search.html.j2", context! {}),
            Page::Codes => (
                "pages/codes.html.j2",
                context! { families => serde_value(self.family_views()), all => true },
            ),
            Page::Family(family) => (
                "pages/codes.html.j2",
                context! {
                    families => serde_value(self.family_views().into_iter()
                        .filter(|f| f.prefix == family.prefix()).collect::<Vec<_>>()),
                    all => false,
                },
            ),
            Page::Code(e) => (
                "pages/code.html.j2",
                context! { entry => serde_value(self.code_view(e)) },
            ),
            Page::Rule(r) => (
                "pages/rule.html.j2",
                context! { rule => serde_value(self.rule_view(r)) },
            ),
            Page::Category(category) => (
                "pages/category.html.j2",
                context! {
                    category => serde_value(category_view(category, 0)),
                    rules => serde_value(self.knowledge.rules.iter().enumerate()
                        .filter(|(_, rule)| rule.category == category)
                        .map(|(r, _)| self.rule_link(r)).collect::<Vec<_>>()),
                },
            ),
            Page::Authoring => (
                "pages/guide.html.j2",
                context! { title => "Writing rules", body => markdown_to_html(AUTHORING_GUIDE) },
            ),
            Page::NotFound => ("pages/404.html.j2", context! {}),
            _ => unreachable!("not an HTML page"),
        };
        self.template(name, path, context! { ..base, ..vars })
    }

    fn template(
        &self,
        name: &str,
        path: &str,
        vars: minijinja::Value,
    ) -> Result<String, Box<Problem>> {
        let error = |e: minijinja::Error| Box::new(self.template_problem(&e, name, path));
        let template = self.env.get_template(name).map_err(error)?;
        crate::render::render_within(&template, vars, crate::render::PAGE_BUDGET.output)
            .map_err(error)
    }

    /// A template error as a knowledge problem, at the template's own file and line (the
    /// template where it happened, which may be one that `name` includes).
    fn template_problem(&self, error: &minijinja::Error, name: &str, page: &str) -> Problem {
        let template = error.name().unwrap_or(name);
        let templates = &self.knowledge.templates;
        // A template that does not exist is named by the page's template, which asked for it.
        let origin = templates
            .get(template)
            .or_else(|| templates.get(name))
            .map_or_else(
                || Origin::Embedded(format!("site/{name}")),
                |t| t.origin.clone(),
            );
        let detail = error.detail().map(|d| format!(": {d}")).unwrap_or_default();
        Problem {
            kind: ProblemKind::Template,
            origin,
            line: error.line(),
            column: None,
            message: format!("{}{detail} (rendering {page})", error.kind()),
            hint: None,
        }
    }

    /// The absolute URL of a path when a base URL is known, else the path itself.
    fn url(&self, path: &str) -> String {
        let path = path.strip_suffix("index.html").unwrap_or(path);
        match &self.options.base_url {
            Some(base) => format!("{}{path}", with_slash(base)),
            None => path.to_string(),
        }
    }

    fn families(&self) -> Vec<Family> {
        Family::ALL
            .iter()
            .copied()
            .filter(|f| {
                self.knowledge
                    .catalog
                    .entries()
                    .iter()
                    .any(|e| e.family == *f)
            })
            .collect()
    }

    fn categories(&self) -> Vec<(Category, usize)> {
        self.categories.clone()
    }

    fn category_views(&self) -> Vec<CategoryView> {
        self.categories()
            .into_iter()
            .map(|(c, count)| category_view(c, count))
            .collect()
    }

    fn family_views(&self) -> Vec<FamilyView> {
        let entries = self.knowledge.catalog.entries();
        self.families()
            .into_iter()
            .map(|family| FamilyView {
                prefix: family.prefix(),
                name: family.as_str(),
                label: family.label(),
                reading: family.reading(),
                path: format!("codes/{}/index.html", family.prefix()),
                codes: entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.family == family)
                    .map(|(i, _)| self.code_link(i))
                    .collect(),
            })
            .collect()
    }

    /// The codes the most rules explain: what users meet most.
    fn common_codes(&self) -> Vec<CodeLink> {
        let mut ranked: Vec<usize> = (0..self.knowledge.catalog.entries().len())
            .filter(|&e| self.knowledge.catalog.entries()[e].code.is_some())
            .collect();
        ranked.sort_by_key(|&e| std::cmp::Reverse(self.knowledge.explains.rules_of(e).len()));
        ranked
            .into_iter()
            .take_while(|&e| !self.knowledge.explains.rules_of(e).is_empty())
            .take(COMMON_CODES)
            .map(|e| self.code_link(e))
            .collect()
    }

    fn code_link(&self, e: usize) -> CodeLink {
        let entry = &self.knowledge.catalog.entries()[e];
        CodeLink {
            key: entry.key(),
            code: entry.display_code(),
            family: entry.family.prefix(),
            symbol: entry.symbol.clone(),
            name: entry.name.clone(),
            path: code_path(entry),
            rules: self.knowledge.explains.rules_of(e).len(),
        }
    }

    /// Each rule's summary and first step (its title and side), by rule id, rendered as its
    /// page shows them.
    fn rule_summaries(&self) -> BTreeMap<&str, serde_json::Value> {
        self.knowledge
            .rules
            .iter()
            .zip(&self.diagnoses)
            .map(|(rule, diagnosis)| {
                let first = diagnosis.steps.first();
                (
                    rule.id.as_str(),
                    serde_json::json!({
                        "summary": diagnosis.summary,
                        "step": first.map(|s| s.title.as_str()),
                        "side": first.map(|s| s.side),
                    }),
                )
            })
            .collect()
    }

    fn rule_link(&self, r: usize) -> RuleLink {
        let rule = &self.knowledge.rules[r];
        RuleLink {
            id: rule.id.clone(),
            title: rule.title.clone(),
            category: rule.category.as_str(),
            summary: self.diagnoses[r].summary.clone(),
            path: rule_path(&rule.id),
        }
    }

    fn code_view(&self, e: usize) -> CodeView {
        let entry = &self.knowledge.catalog.entries()[e];
        CodeView {
            link: self.code_link(e),
            family_label: entry.family.label(),
            reading: entry.family.reading(),
            meaning: entry.meaning.clone(),
            category: entry.category.unwrap_or(Category::Other).as_str(),
            check_first: render::check_first_text(entry),
            aliases: entry.aliases.clone(),
            providers: entry.providers.clone(),
            messages: entry
                .messages
                .iter()
                .map(|(lang, texts)| Messages {
                    lang: lang.clone(),
                    texts: texts.clone(),
                })
                .collect(),
            note: entry.note.clone(),
            references: links(&entry.references),
            rules: self
                .knowledge
                .explains
                .rules_of(e)
                .iter()
                .map(|&r| self.rule_link(r))
                .collect(),
            other_families: self
                .knowledge
                .catalog
                .entries()
                .iter()
                .enumerate()
                .filter(|(i, other)| *i != e && other.code.is_some() && other.code == entry.code)
                .map(|(i, _)| self.code_link(i))
                .collect(),
        }
    }

    fn rule_view(&self, r: usize) -> RuleView {
        let rule = &self.knowledge.rules[r];
        let diagnosis = &self.diagnoses[r];
        let steps: Vec<StepView> = diagnosis
            .steps
            .iter()
            .map(|step| StepView {
                title: step.title.clone(),
                side: match step.side {
                    crate::catalog::Side::Client => "client",
                    crate::catalog::Side::Server => "server",
                },
                body: step.body.clone(),
                commands: step
                    .commands
                    .iter()
                    .map(|(kind, text)| CommandView {
                        kind: kind.clone(),
                        label: render::command_label(kind).to_string(),
                        text: text.clone(),
                    })
                    .collect(),
            })
            .collect();
        RuleView {
            link: self.rule_link(r),
            category: category_view(rule.category, 0),
            causes: diagnosis.causes.clone(),
            steps,
            references: links(&rule.references),
            codes: self
                .knowledge
                .explains
                .entries_of(r)
                .iter()
                .map(|&e| self.code_link(e))
                .collect(),
            unknown_codes: rule
                .codes
                .iter()
                .filter(|code| {
                    !self
                        .knowledge
                        .catalog
                        .entries()
                        .iter()
                        .any(|e| e.code == Some(code.code) && code_fits(code, e))
                })
                .map(ToString::to_string)
                .collect(),
            related: self.related(r),
            examples: rule.examples.iter().map(|e| e.text.clone()).collect(),
            // A published page names an extra folder's file, not where it sat on a disk.
            origin: match &rule.origin {
                crate::catalog::Origin::Embedded(path) => path.clone(),
                crate::catalog::Origin::File(path) => path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            },
        }
    }

    /// Rules that share codes with rule `r` (most shared first), then rules of its category.
    fn related(&self, r: usize) -> Vec<RuleLink> {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for &e in self.knowledge.explains.entries_of(r) {
            for &other in self.knowledge.explains.rules_of(e) {
                if other != r {
                    *shared.entry(other).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<(usize, usize)> = shared.into_iter().collect();
        ranked.sort_by_key(|&(other, count)| (std::cmp::Reverse(count), other));
        let mut related: Vec<usize> = ranked.into_iter().map(|(o, _)| o).collect();
        let category = self.knowledge.rules[r].category;
        if related.len() < RELATED_RULES {
            let same: Vec<usize> = (0..self.knowledge.rules.len())
                .filter(|&o| {
                    o != r && self.knowledge.rules[o].category == category && !related.contains(&o)
                })
                .take(RELATED_RULES)
                .collect();
            related.extend(same);
        }
        related
            .into_iter()
            .take(RELATED_RULES)
            .map(|o| self.rule_link(o))
            .collect()
    }
}

/// True for the pages that are HTML (listed in the sitemap).
fn is_html_page(page: Page) -> bool {
    !matches!(
        page,
        Page::Sitemap | Page::Asset(_) | Page::SearchIndex | Page::Knowledge | Page::EngineModule
    )
}

/// Escapes the characters that could end a text or an attribute value in HTML.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// A serialisable view as a template value.
fn serde_value<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

fn with_slash(base: &str) -> String {
    if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    }
}

/// JSON made safe inside a `<script>` file or element: `</script>` and U+2028/2029 escaped.
fn script_json(json: &str) -> String {
    json.replace("</", "<\\/")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Catalog entries by code, for the rules' code references.
fn code_fits(code: &CodeRef, entry: &CatalogEntry) -> bool {
    code.family.is_none_or(|f| f == entry.family)
}

fn category_view(category: Category, rules: usize) -> CategoryView {
    let (title, about) = category_text(category);
    CategoryView {
        id: category.as_str(),
        title,
        about,
        path: format!("categories/{}/index.html", category.as_str()),
        rules,
    }
}

/// A reader's name for each category and what falls in it.
fn category_text(category: Category) -> (&'static str, &'static str) {
    match category {
        Category::Certificate => (
            "Certificates",
            "The server's or gateway's certificate: expired, untrusted, wrong name, unreadable key.",
        ),
        Category::NlaCredssp => (
            "NLA and CredSSP",
            "Network Level Authentication and CredSSP: required or unsupported, oracle remediation, delegation.",
        ),
        Category::TlsSecurityLayer => (
            "TLS and the security layer",
            "TLS versions and ciphers, SSL versus standard RDP security, FIPS, Schannel.",
        ),
        Category::NetworkUnreachable => (
            "Network and reachability",
            "The port cannot be reached or the link drops: firewall, listener, VPN, timeouts.",
        ),
        Category::Dns => (
            "DNS",
            "The name does not resolve, or resolves to the wrong address.",
        ),
        Category::Gateway => (
            "RD Gateway",
            "The gateway itself: reachability, CAP and RAP policies, transports, server errors.",
        ),
        Category::Credentials => (
            "Credentials",
            "Wrong user name or password, stale saved credentials, smart cards.",
        ),
        Category::AccountPolicy => (
            "Account policy",
            "Locked, disabled or expired accounts, passwords that must change, clock skew.",
        ),
        Category::AuthorizationDenied => (
            "Authorization",
            "Signed in but not allowed: group membership and logon rights.",
        ),
        Category::Licensing => (
            "Licensing",
            "RDS licensing: grace period, license servers, CALs.",
        ),
        Category::SessionLimit => (
            "Session limits",
            "Too many sessions, sessions replaced or taken over, idle and time limits.",
        ),
        Category::ServerResource => (
            "Server resources",
            "The server or host pool lacks resources or a component crashed.",
        ),
        Category::ProtocolError => (
            "Protocol errors",
            "RDP protocol, decompression and encryption errors.",
        ),
        Category::ClientVersion => (
            "Client versions",
            "Clients that are too old, too new or incompatible.",
        ),
        Category::InternalError => (
            "Internal errors",
            "\"An internal error has occurred\" when nothing more specific is known.",
        ),
        Category::Other => (
            "Other",
            "Redirection, display, audio and user-initiated disconnects.",
        ),
    }
}

/// Markdown (the authoring guide) to HTML, with any raw HTML in it shown as text and code
/// blocks the keyboard can scroll.
fn markdown_to_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    // A code block scrolls sideways: the keyboard must reach it. Raw HTML in the guide is
    // text by now, so every `<pre>` left is a code block's.
    out.replace("<pre>", "<pre tabindex=\"0\">")
}

/// Writes `site` into `out`, rendering on every core. Returns the files written and bytes.
pub fn write_site(site: &Site<'_>, out: &std::path::Path) -> Result<(usize, u64), Vec<String>> {
    std::fs::create_dir_all(out)
        .map_err(|e| vec![format!("cannot create {}: {e}", out.display())])?;
    let pages = site.pages();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = pages.len().div_ceil(threads).max(1);
    let results: Vec<Result<(usize, u64), String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = pages
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut written = (0usize, 0u64);
                    for &page in chunk {
                        let file = site.render(page).map_err(|e| e.to_string())?;
                        write_inside(out, &file.path, file.content.as_bytes())?;
                        written.0 += 1;
                        written.1 += file.content.len() as u64;
                    }
                    Ok(written)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("a page failed to render".into()))
            })
            .collect()
    });
    let mut errors = Vec::new();
    let mut total = (0, 0);
    for result in results {
        match result {
            Ok((files, bytes)) => {
                total.0 += files;
                total.1 += bytes;
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(total)
    } else {
        Err(errors)
    }
}

/// Writes `bytes` to `relative` under `out`, never through a link: a link found on the way
/// (a folder or the file itself, left by someone else in the output folder) is replaced by a
/// real folder or file, so nothing outside `out` is written.
fn write_inside(out: &Path, relative: &str, bytes: &[u8]) -> Result<(), String> {
    let is_link =
        |path: &Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    // Another thread may have replaced the same link a moment ago.
    let unlink = |path: &Path| match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove the link {}: {e}", path.display()))
        }
        _ => Ok(()),
    };
    let mut at = out.to_path_buf();
    let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        if is_link(&at) {
            unlink(&at)?;
        }
        if i + 1 < parts.len() {
            match std::fs::create_dir(&at) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("cannot create {}: {e}", at.display())),
            }
        }
    }
    std::fs::write(&at, bytes).map_err(|e| format!("cannot write {}: {e}", at.display()))
}

#[derive(Debug, Serialize)]
struct CategoryView {
    id: &'static str,
    title: &'static str,
    about: &'static str,
    path: String,
    rules: usize,
}

#[derive(Debug, Serialize)]
struct FamilyView {
    prefix: &'static str,
    name: &'static str,
    label: &'static str,
    reading: &'static str,
    path: String,
    codes: Vec<CodeLink>,
}

#[derive(Debug, Clone, Serialize)]
struct CodeLink {
    key: String,
    code: String,
    family: &'static str,
    symbol: Option<String>,
    name: String,
    path: String,
    rules: usize,
}

#[derive(Debug, Clone, Serialize)]
struct RuleLink {
    id: String,
    title: String,
    category: &'static str,
    summary: String,
    path: String,
}

#[derive(Debug, Serialize)]
struct Messages {
    lang: String,
    texts: Vec<String>,
}

#[derive(Debug, Serialize)]
struct CodeView {
    link: CodeLink,
    family_label: &'static str,
    reading: &'static str,
    meaning: String,
    category: &'static str,
    check_first: Option<String>,
    aliases: Vec<String>,
    providers: Vec<String>,
    messages: Vec<Messages>,
    note: Option<String>,
    references: Vec<Link>,
    rules: Vec<RuleLink>,
    other_families: Vec<CodeLink>,
}

/// A reference as a page shows it: a link only for an http(s) URL.
#[derive(Debug, Serialize)]
struct Link {
    title: String,
    url: Option<String>,
}

fn links(references: &[Reference]) -> Vec<Link> {
    references
        .iter()
        .map(|r| Link {
            title: r.title.clone(),
            url: r.is_web().then(|| r.url.clone()),
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct CommandView {
    kind: String,
    label: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct StepView {
    title: String,
    side: &'static str,
    body: String,
    commands: Vec<CommandView>,
}

#[derive(Debug, Serialize)]
struct RuleView {
    link: RuleLink,
    category: CategoryView,
    causes: Vec<String>,
    steps: Vec<StepView>,
    references: Vec<Link>,
    codes: Vec<CodeLink>,
    unknown_codes: Vec<String>,
    related: Vec<RuleLink>,
    examples: Vec<String>,
    origin: String,
}

/// The pages grouped for the search index: kind, path, title, and the words to find it by.
/// How long a search result's snippet is, in characters.
const SNIPPET_CHARS: usize = 160;

pub(crate) struct SearchDocument {
    pub kind: &'static str,
    pub path: String,
    pub title: String,
    pub subtitle: String,
    /// Strong words: title, code, symbol, name.
    pub strong: String,
    /// Other words: meaning, messages, summary.
    pub weak: String,
    /// Identifiers a query names this page by exactly: its code (and event ID in decimal),
    /// symbol and aliases, or a rule's id. An exact hit ranks first.
    pub exact: Vec<String>,
    /// The start of the page's summary or meaning, shown under a result.
    pub snippet: String,
}

/// The first `room` characters of a text or fewer, cut between words, with `…` when cut.
fn snippet(text: &str, room: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= room {
        return one_line;
    }
    let cut: String = one_line.chars().take(room).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

impl Site<'_> {
    /// Every searchable page.
    pub(crate) fn search_documents(&self) -> Vec<SearchDocument> {
        let mut docs = Vec::new();
        for (r, rule) in self.knowledge.rules.iter().enumerate() {
            let codes: Vec<String> = rule.codes.iter().map(|c| c.code.to_string()).collect();
            docs.push(SearchDocument {
                kind: "rule",
                path: rule_path(&rule.id),
                title: rule.title.clone(),
                subtitle: category_text(rule.category).0.to_string(),
                strong: format!("{} {} {}", rule.title, rule.id, codes.join(" ")),
                weak: self.diagnoses[r].summary.clone(),
                exact: vec![rule.id.clone()],
                snippet: snippet(&self.diagnoses[r].summary, SNIPPET_CHARS),
            });
        }
        for entry in self.knowledge.catalog.entries() {
            let messages: Vec<&str> = entry
                .messages
                .values()
                .flatten()
                .map(String::as_str)
                .collect();
            docs.push(SearchDocument {
                kind: "code",
                path: code_path(entry),
                // Event IDs in decimal, as engineers say them ("event 36870").
                title: match entry.code {
                    Some(_) if entry.family == Family::EventId => {
                        format!("Event {} {}", entry.display_code(), entry.name)
                    }
                    Some(_) => format!("{} {}", entry.display_code(), entry.name),
                    None => entry.name.clone(),
                },
                subtitle: entry.family.label().to_string(),
                // The family's own word too: "event 1058" names the event's page twice.
                strong: format!(
                    "{} {} {} {} {}",
                    entry.display_code(),
                    entry.symbol.as_deref().unwrap_or_default(),
                    entry.name,
                    entry.aliases.join(" "),
                    entry.family.prefix(),
                ),
                weak: format!("{} {}", entry.meaning, messages.join(" ")),
                exact: [
                    Some(entry.display_code()),
                    entry.code.map(|c| c.to_string()),
                    entry.symbol.clone(),
                ]
                .into_iter()
                .flatten()
                .chain(entry.aliases.iter().cloned())
                .collect(),
                snippet: snippet(&entry.meaning, SNIPPET_CHARS),
            });
        }
        for (category, _) in self.categories() {
            let (title, about) = category_text(category);
            docs.push(SearchDocument {
                kind: "category",
                path: format!("categories/{}/index.html", category.as_str()),
                title: title.to_string(),
                subtitle: "Category".into(),
                strong: format!("{title} {}", category.as_str()),
                weak: about.to_string(),
                exact: vec![category.as_str().to_string()],
                snippet: snippet(about, SNIPPET_CHARS),
            });
        }
        docs.push(SearchDocument {
            kind: "guide",
            path: "authoring/index.html".into(),
            title: "Writing rules".into(),
            subtitle: "Guide".into(),
            strong: "writing rules authoring guide".into(),
            weak: "rule yaml signatures probes catalog translation test".into(),
            exact: Vec::new(),
            snippet:
                "How to write a rule: signatures, probes, causes and steps, and how to test it."
                    .into(),
        });
        docs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_ids_and_defuse_paths() {
        assert_eq!(slug("certificate-expired"), "certificate-expired");
        assert_eq!(slug("0x904"), "0x904");
        assert_eq!(slug("../etc"), "~2e~2e~2fetc");
        assert_eq!(slug("a b/c"), "a~20b~2fc");
        assert_eq!(slug(""), "~");
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        assert_eq!(
            script_json(r#"{"t":"</script><script>alert(1)</script>"}"#),
            r#"{"t":"<\/script><script>alert(1)<\/script>"}"#
        );
    }

    #[test]
    fn html_escaping_covers_text_and_attributes() {
        assert_eq!(
            escape_html(r#"<a href="x" title='y'>&</a>/"#),
            "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;&lt;/a&gt;/"
        );
    }

    #[test]
    fn markdown_shows_raw_html_as_text() {
        let html = markdown_to_html("# Title\n\n<script>alert(1)</script>\n\nText `code`.");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<code>code</code>"), "{html}");
    }
}
