//! Reports safe to share: finds host names, addresses, user and domain names and e-mail
//! addresses in a paste (and in what probes saw) and replaces each with a stable placeholder.
//!
//! The same value, in any letter case, always becomes the same placeholder (`host-1`, `ip-2`,
//! `user-1`, `domain-1`, `email-1`, `org-1`), numbered in the order the values were found, so
//! a redacted report still says which lines name the same computer.

use std::collections::HashMap;
use std::net::Ipv6Addr;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use indexmap::IndexMap;
use regex::Regex;

use crate::extract::{Extraction, FQDN, IPV4, lazy_regex};

/// What a redacted value identifies; it names the placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A computer's name (`srv01`, `srv01.contoso.com`).
    Host,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A user name.
    User,
    /// A Windows or DNS domain (`CONTOSO`).
    Domain,
    /// An e-mail address or user principal name.
    Email,
    /// An organisation in a certificate's name (`O=Contoso Ltd`).
    Organisation,
}

impl Kind {
    /// The placeholder's prefix: `host`, `ip`, `user`, `domain`, `email`, `org`.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Host => "host",
            Kind::Ip => "ip",
            Kind::User => "user",
            Kind::Domain => "domain",
            Kind::Email => "email",
            Kind::Organisation => "org",
        }
    }
}

/// The values to hide and their placeholders; [`Redactor::apply`] replaces them in any text.
///
/// An empty redactor (the default) changes nothing.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Each value, lower-cased, and its placeholder, in the order found.
    values: IndexMap<String, String>,
    /// How many values of each kind have a placeholder.
    counts: HashMap<Kind, usize>,
    /// The values as written (any case) and lower-cased, searched together; built on first use.
    finder: OnceLock<Option<(AhoCorasick, Vec<usize>)>>,
}

/// Names that identify nobody: Windows' own accounts and domains, and public service domains
/// a paste quotes (Microsoft's documentation and endpoints).
const BUILT_IN_USERS: &[&str] = &[
    "system",
    "local service",
    "network service",
    "administrator",
    "administrators",
    "guest",
    "defaultaccount",
    "anonymous logon",
    "root",
    "nobody",
];
const BUILT_IN_DOMAINS: &[&str] = &[
    "nt authority",
    "authority",
    "builtin",
    "nt service",
    "service",
    "window manager",
    "font driver host",
    "iis apppool",
    "workgroup",
];
/// Words a label may be followed by that are not a name.
const STOP_WORDS: &[&str] = &[
    "the",
    "a",
    "an",
    "is",
    "was",
    "not",
    "no",
    "none",
    "null",
    "unknown",
    "name",
    "names",
    "password",
    "account",
    "accounts",
    "user",
    "users",
    "domain",
    "computer",
    "host",
    "server",
    "true",
    "false",
    "yes",
    "localhost",
    "this",
    "that",
    "your",
    "my",
    "any",
    "all",
    "empty",
    "failed",
    "error",
    "invalid",
    "missing",
    "and",
    "or",
    "of",
    "to",
    "for",
    "in",
    "on",
    "with",
    "le",
    "la",
    "les",
    "der",
    "die",
    "das",
    "el",
    "los",
];
const PUBLIC_DOMAINS: &[&str] = &[
    "microsoft.com",
    "microsoftonline.com",
    "windows.com",
    "windows.net",
    "azure.com",
    "live.com",
    "office.com",
    "msftauth.net",
    "github.com",
    "freerdp.com",
];

lazy_regex! {
    /// An e-mail address or user principal name.
    EMAIL = r"(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+\b"
}
lazy_regex! {
    /// `DOMAIN\user` (or `.\user`) after a space, quote, colon or bracket.
    DOMAIN_USER = r#"(?:^|[\s"'(\[=:,;])(?P<domain>[A-Za-z0-9][A-Za-z0-9._-]{0,62}|\.)\\(?P<user>[A-Za-z0-9_][A-Za-z0-9._$-]{0,63})"#
}
lazy_regex! {
    /// A labelled value: `User: jdoe`, `Account Domain: CONTOSO`, `Workstation Name: PC01`,
    /// `user=jdoe`, `for user jdoe`, xrdp's `username jdoe`, and FreeRDP's `/u:`, `/d:`, `/v:`, `/g:` options.
    LABELLED = r#"(?i)(?:\b(?P<label>account name|account domain|target user ?name|target domain ?name|user ?name|user|login|logon name|benutzername|benutzer|nom d'utilisateur|utilisateur|nombre de usuario|usuario|domain|domaine|dominio|domäne|workstation name|workstation|computer name|computer|client name|client address|client ip|source network address|source address|server name|server|host ?name|host|rechner|ordinateur|equipo)\s*[:=]|\b(?:for user|user ?name)\s|(?:^|\s)[/-](?P<option>v|u|d|g|gu|gd):)[ \t]*['"]?(?P<value>[^\s'",;]+)"#
}
lazy_regex! {
    /// The host of a URL.
    URL_HOST = r"(?i)\b(?:https?|rdp|wss?|ldaps?)://(?:[^@/\s]+@)?(?P<host>\[[0-9a-f:.%]+\]|[^/\s:?#'<>\]]+)"
}
lazy_regex! {
    /// A run of hex digits and colons that may be an IPv6 address.
    IPV6 = r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%[0-9a-z]+)?"
}
lazy_regex! {
    /// The parts of an X.509 name worth hiding: `CN=`, `O=`, `OU=`, `DC=`, `E=`.
    NAME_PART = r#"(?i)(?:^|[,/;+]\s*)(?P<key>CN|O|OU|DC|E|emailAddress)\s*=\s*(?P<value>"[^"]*"|[^,/;+]+)"#
}

/// What a label's value is.
fn label_kind(label: &str) -> Kind {
    let label = label.to_lowercase();
    if label.contains("domain") || label.contains("domaine") || label.contains("dominio") {
        Kind::Domain
    } else if [
        "user",
        "login",
        "logon",
        "benutzer",
        "utilisateur",
        "usuario",
        "account name",
    ]
    .iter()
    .any(|word| label.contains(word))
    {
        Kind::User
    } else {
        Kind::Host
    }
}

/// True for a character that continues a name: the value ends only before something else.
fn continues_name(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl Redactor {
    /// A redactor that knows nothing yet: it changes nothing.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// A redactor for one paste: every value [`Redactor::learn_text`] finds in it, and the
    /// hosts the extraction found.
    pub fn for_paste(text: &str, extraction: &Extraction) -> Redactor {
        let mut redactor = Redactor::new();
        redactor.learn_text(text);
        for host in &extraction.hosts {
            redactor.learn_host(&host.host);
        }
        redactor
    }

    /// True when there is nothing to hide.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many distinct values are hidden.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The placeholder of a value learnt before.
    pub fn placeholder(&self, value: &str) -> Option<&str> {
        self.values.get(&value.to_lowercase()).map(String::as_str)
    }

    /// Adds a value of a kind; a value already known keeps its placeholder.
    pub fn learn(&mut self, kind: Kind, value: &str) {
        let value = value.trim();
        if value.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
            return;
        }
        let key = value.to_lowercase();
        let public = match kind {
            Kind::User => BUILT_IN_USERS.contains(&key.as_str()),
            Kind::Domain => BUILT_IN_DOMAINS.contains(&key.as_str()),
            Kind::Host | Kind::Email => PUBLIC_DOMAINS
                .iter()
                .any(|d| key == *d || key.strip_suffix(d).is_some_and(|s| s.ends_with(['.', '@']))),
            // The machine's own addresses and name say nothing about whose it is.
            Kind::Ip => key
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified()),
            Kind::Organisation => false,
        };
        let public = public || key == "localhost" && kind == Kind::Host;
        // A placeholder read back from a redacted paste stays as it is.
        let placeholder_shaped = ["host-", "ip-", "user-", "domain-", "email-", "org-"]
            .iter()
            .any(|p| {
                key.strip_prefix(p)
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            });
        if public || placeholder_shaped || self.values.contains_key(&key) {
            return;
        }
        let count = self.counts.entry(kind).or_default();
        *count += 1;
        let placeholder = format!("{}-{count}", kind.prefix());
        self.values.insert(key, placeholder);
        self.finder = OnceLock::new();
    }

    /// Adds a host as written (`srv01:3389`, `[fe80::1]:3389`, `10.0.0.5`): an address
    /// becomes an `ip-N`, a name a `host-N`; a port is not part of it.
    pub fn learn_host(&mut self, host: &str) {
        let host = host.trim().trim_end_matches('.');
        let bare = if let Some(rest) = host.strip_prefix('[') {
            rest.split(']').next().unwrap_or(rest)
        } else if host.matches(':').count() == 1 {
            host.split(':').next().unwrap_or(host)
        } else {
            host
        };
        let bare = bare.split('%').next().unwrap_or(bare);
        if bare.parse::<std::net::IpAddr>().is_ok() {
            self.learn(Kind::Ip, bare);
        } else if bare
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && bare.chars().any(|c| c.is_alphabetic())
        {
            self.learn(Kind::Host, bare);
        }
    }

    /// Finds the values in a text: addresses, names in URLs and fully qualified names,
    /// e-mail addresses, `DOMAIN\user`, labelled users, domains and computers (also in
    /// German, French and Spanish labels and FreeRDP options), and X.509 names.
    pub fn learn_text(&mut self, text: &str) {
        let mut found: Vec<(usize, Kind, String)> = Vec::new();
        for m in EMAIL.find_iter(text) {
            found.push((m.start(), Kind::Email, m.as_str().to_string()));
        }
        for caps in DOMAIN_USER.captures_iter(text) {
            let (Some(domain), Some(user)) = (caps.name("domain"), caps.name("user")) else {
                continue;
            };
            // A path or a registry key goes on: `HKLM\SYSTEM\...`, `Users\jdoe\AppData`.
            let path = text[user.end()..].starts_with('\\')
                || domain.as_str().to_ascii_uppercase().starts_with("HK");
            if path {
                continue;
            }
            if domain.as_str() != "." {
                found.push((domain.start(), Kind::Domain, domain.as_str().to_string()));
            }
            found.push((user.start(), Kind::User, user.as_str().to_string()));
        }
        for caps in LABELLED.captures_iter(text) {
            let Some(value) = caps.name("value") else {
                continue;
            };
            let kind = match (caps.name("label"), caps.name("option")) {
                (Some(label), _) => label_kind(label.as_str()),
                (None, Some(option)) => match option.as_str().to_ascii_lowercase().as_str() {
                    "u" | "gu" => Kind::User,
                    "d" | "gd" => Kind::Domain,
                    _ => Kind::Host,
                },
                (None, None) => Kind::User,
            };
            let raw = value.as_str().trim_end_matches(['.', ')', ']', '>']);
            self.push_labelled(&mut found, value.start(), kind, raw);
        }
        for caps in URL_HOST.captures_iter(text) {
            if let Some(host) = caps.name("host") {
                let bare = host.as_str().trim_matches(['[', ']']);
                let kind = if bare
                    .split('%')
                    .next()
                    .unwrap_or(bare)
                    .parse::<std::net::IpAddr>()
                    .is_ok()
                {
                    Kind::Ip
                } else {
                    Kind::Host
                };
                found.push((
                    host.start(),
                    kind,
                    bare.split('%').next().unwrap_or(bare).to_string(),
                ));
            }
        }
        for m in FQDN.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            if before != Some('@') && m.as_str().contains('.') {
                found.push((m.start(), Kind::Host, m.as_str().to_string()));
            }
        }
        for m in IPV4.find_iter(text) {
            let after = &text[m.end()..];
            let in_dotted_run = text[..m.start()].ends_with('.')
                || after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit());
            if !in_dotted_run && m.as_str().parse::<std::net::Ipv4Addr>().is_ok() {
                found.push((m.start(), Kind::Ip, m.as_str().to_string()));
            }
        }
        if text.contains("::") || text.matches(':').count() >= 7 {
            for m in IPV6.find_iter(text) {
                let before = text[..m.start()].chars().next_back();
                let after = text[m.end()..].chars().next();
                // Not a piece of a longer run (a certificate serial `49:57:d6:...`) nor the
                // prefix of a mapped IPv4 address (`::ffff:10.0.0.5`, whose IPv4 part is found
                // as such).
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                    || after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '.'))
                {
                    continue;
                }
                let address = m.as_str().split('%').next().unwrap_or_default();
                if address.len() >= 3 && address.parse::<Ipv6Addr>().is_ok() {
                    found.push((m.start(), Kind::Ip, address.to_string()));
                }
            }
        }
        for caps in NAME_PART.captures_iter(text) {
            let (Some(key), Some(value)) = (caps.name("key"), caps.name("value")) else {
                continue;
            };
            let value_text = value.as_str().trim().trim_matches('"');
            let kind = match key.as_str().to_ascii_uppercase().as_str() {
                "CN" => Kind::Host,
                "DC" => Kind::Domain,
                "E" | "EMAILADDRESS" => Kind::Email,
                _ => Kind::Organisation,
            };
            found.push((value.start(), kind, value_text.to_string()));
        }
        found.sort_by_key(|(at, _, _)| *at);
        for (_, kind, value) in found {
            if kind == Kind::Host {
                self.learn_host(&value);
            } else {
                self.learn(kind, &value);
            }
        }
    }

    fn push_labelled(
        &self,
        found: &mut Vec<(usize, Kind, String)>,
        at: usize,
        kind: Kind,
        raw: &str,
    ) {
        if raw == "-" || raw.eq_ignore_ascii_case("n/a") || raw.eq_ignore_ascii_case("(null)") {
            return;
        }
        if raw.contains('@') || raw.contains('\\') {
            // `user@domain` and `DOMAIN\user` are found as such.
            return;
        }
        let name_shaped = raw.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '$' | ':' | '[' | ']' | '%')
        });
        let numeric = raw.chars().all(|c| c.is_ascii_digit());
        // A label followed by a sentence (`User: The user name or password is incorrect`).
        let word = STOP_WORDS.contains(&raw.to_lowercase().as_str());
        if name_shaped && !numeric && !word {
            found.push((at, kind, raw.to_string()));
        }
    }

    /// Finds the values in every string of a JSON value (a probe's facts): by the name of the
    /// field where it says what it holds (`server_name`, `server_domain`), by their shape
    /// everywhere else.
    pub fn learn_json(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(text) => self.learn_text(text),
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.learn_json(v)),
            serde_json::Value::Object(fields) => {
                for (key, field) in fields {
                    if let serde_json::Value::String(text) = field {
                        let key = key.to_ascii_lowercase();
                        if key.ends_with("domain") {
                            self.learn(Kind::Domain, text);
                        } else if key.ends_with("_name") && key.contains("server")
                            || key.contains("computer")
                            || key.contains("dns_name")
                            || key == "host"
                        {
                            self.learn_host(text);
                        }
                    }
                    self.learn_json(field);
                }
            }
            _ => {}
        }
    }

    /// The automaton over every value, as written and lower-cased, and the placeholder index
    /// of each pattern.
    fn finder(&self) -> Option<&(AhoCorasick, Vec<usize>)> {
        self.finder
            .get_or_init(|| {
                if self.values.is_empty() {
                    return None;
                }
                let mut patterns = Vec::new();
                let mut owners = Vec::new();
                for (index, (value, _)) in self.values.iter().enumerate() {
                    patterns.push(value.clone());
                    owners.push(index);
                    let upper = value.to_uppercase();
                    if upper != *value {
                        patterns.push(upper);
                        owners.push(index);
                    }
                }
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)
                    .ok()
                    .map(|automaton| (automaton, owners))
            })
            .as_ref()
    }

    /// The text with every known value replaced by its placeholder, where it stands as a
    /// whole name (not inside a longer one).
    pub fn apply(&self, text: &str) -> String {
        let Some((automaton, owners)) = self.finder() else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for m in automaton.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if before.is_some_and(continues_name) || after.is_some_and(continues_name) {
                continue;
            }
            let Some((_, placeholder)) = self.values.get_index(owners[m.pattern().as_usize()])
            else {
                continue;
            };
            out.push_str(&text[copied..m.start()]);
            out.push_str(placeholder);
            copied = m.end();
        }
        out.push_str(&text[copied..]);
        out
    }

    /// The words of `text` at `range` (a piece of a paste that evidence quotes) redacted, the
    /// range first widened to every value it cuts into: a quote of `rdgw` out of
    /// `rdgw.contoso.com` must not leave part of the name.
    pub fn apply_range(&self, text: &str, range: std::ops::Range<usize>) -> String {
        let Some(piece) = text.get(range.clone()) else {
            return String::new();
        };
        let Some((automaton, _)) = self.finder() else {
            return piece.to_string();
        };
        // Values do not span lines: the lines around the range hold every cut.
        let from = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let to = text[range.end..]
            .find('\n')
            .map_or(text.len(), |i| range.end + i);
        let (mut start, mut end) = (range.start, range.end);
        for m in automaton.find_iter(&text[from..to]) {
            let (m_start, m_end) = (from + m.start(), from + m.end());
            if m_start < range.end && m_end > range.start && (m_start < start || m_end > end) {
                let before = text[..m_start].chars().next_back();
                let after = text[m_end..].chars().next();
                if !before.is_some_and(continues_name) && !after.is_some_and(continues_name) {
                    start = start.min(m_start);
                    end = end.max(m_end);
                }
            }
        }
        self.apply(&text[start..end])
    }

    /// Every string of a JSON value redacted, in place.
    pub fn apply_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => *text = self.apply(text),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.apply_json(v)),
            serde_json::Value::Object(fields) => {
                fields.values_mut().for_each(|v| self.apply_json(v));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(text: &str) -> (String, Redactor) {
        let mut redactor = Redactor::new();
        redactor.learn_text(text);
        (redactor.apply(text), redactor)
    }

    #[test]
    fn the_same_value_in_any_case_gets_the_same_placeholder() {
        let (out, _) = redacted(
            "Connecting to srv01.contoso.com (10.1.2.3) failed; SRV01.CONTOSO.COM at 10.1.2.3 again, then 10.1.2.4",
        );
        assert_eq!(
            out,
            "Connecting to host-1 (ip-1) failed; host-1 at ip-1 again, then ip-2"
        );
    }

    #[test]
    fn users_domains_and_mail_are_found_by_shape_and_label() {
        let text = "Account Name: jdoe\nAccount Domain: CONTOSO\nWorkstation Name: PC-042\nSource Network Address: 192.168.7.20\nlogged in as CONTOSO\\asmith, mail anna.smith@contoso.com\nxfreerdp /v:rdsh07:3390 /u:bob /d:FABRIKAM";
        let (out, _) = redacted(text);
        for original in [
            "jdoe",
            "CONTOSO",
            "PC-042",
            "192.168.7.20",
            "asmith",
            "anna.smith",
            "rdsh07",
            "bob",
            "FABRIKAM",
        ] {
            assert!(!out.contains(original), "{original} survives in:\n{out}");
        }
        assert!(out.contains("domain-1\\user-2"), "{out}");
        assert!(out.contains("/v:host-2:3390"), "{out}");
    }

    #[test]
    fn paths_registry_keys_builtins_and_public_names_stay() {
        let text = r"C:\Users\Public\Desktop HKLM\SYSTEM\CurrentControlSet NT AUTHORITY\SYSTEM see https://learn.microsoft.com/x and go.microsoft.com";
        let (out, redactor) = redacted(text);
        assert_eq!(out, text, "{redactor:?}");
    }

    #[test]
    fn mapped_addresses_and_certificate_serials() {
        let (out, _) =
            redacted("ip ::ffff:198.51.100.23:52344, serial 49:57:d6:50:d9:b6:f4:c6:30:6d");
        assert_eq!(
            out,
            "ip ::ffff:ip-1:52344, serial 49:57:d6:50:d9:b6:f4:c6:30:6d"
        );
    }

    #[test]
    fn addresses_of_both_families_and_not_times_or_versions() {
        // `::1` names no one's computer, and is too short to replace safely.
        let (out, _) = redacted(
            "from [fe80::1c2d:3e4f%12]:3389 and 2001:db8::7 at 20:30:43, version 10.0.19041.1, ::1",
        );
        assert_eq!(
            out,
            "from [ip-1%12]:3389 and ip-2 at 20:30:43, version 10.0.19041.1, ::1"
        );
    }

    #[test]
    fn a_quote_that_cuts_into_a_value_is_widened_to_all_of_it() {
        let text = "gateway rdgw.contoso.com refused";
        let mut redactor = Redactor::new();
        redactor.learn_text(text);
        let at = text.find("rdgw").unwrap();
        assert_eq!(redactor.apply_range(text, at..at + 4), "host-1");
        assert_eq!(redactor.apply_range(text, 0..7), "gateway");
        assert_eq!(Redactor::new().apply_range(text, at..at + 4), "rdgw");
    }

    #[test]
    fn a_name_inside_a_longer_name_is_not_a_match() {
        let mut redactor = Redactor::new();
        redactor.learn_host("srv01");
        assert_eq!(
            redactor.apply("srv01, srv012 and srv01-b; SRV01:3389"),
            "host-1, srv012 and srv01-b; host-1:3389"
        );
    }

    #[test]
    fn placeholders_are_left_alone_and_x509_names_are_split() {
        let mut redactor = Redactor::new();
        redactor.learn_text("host-1 said CN=rdsh.corp.fabrikam.com, O=Fabrikam Ltd, DC=fabrikam");
        assert_eq!(redactor.placeholder("host-1"), None);
        assert_eq!(
            redactor.placeholder("rdsh.corp.fabrikam.com"),
            Some("host-1")
        );
        assert_eq!(redactor.placeholder("Fabrikam Ltd"), Some("org-1"));
        assert_eq!(redactor.placeholder("fabrikam"), Some("domain-1"));
    }
}
