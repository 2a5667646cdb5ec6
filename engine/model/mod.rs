//! Plain data types of the knowledge base, the bottom layer: code families, codes, categories,
//! references, catalog entries, labels, rules and what probes say.

pub mod codes;
pub mod labels;
pub mod probe;
pub mod rules;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A numbered RDP error code, stored as its value (`0X00000904`, `2308` and `0x904` are equal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Code(pub u32);

impl Code {
    /// Parses a hex spelling (`0x904`, `0X0000_0904`) or a decimal one (`2308`).
    pub fn parse(text: &str) -> Option<Code> {
        let text = text.trim();
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Code::parse_hex(hex)
        } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse::<u32>().ok().map(Code)
        } else {
            None
        }
    }

    /// Parses hex digits without a prefix, ignoring `_` separators.
    pub fn parse_hex(digits: &str) -> Option<Code> {
        let cleaned: String = digits.chars().filter(|c| *c != '_').collect();
        let significant = cleaned.trim_start_matches('0');
        if cleaned.is_empty() || significant.len() > 8 {
            return None;
        }
        u32::from_str_radix(&cleaned, 16).ok().map(Code)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.to_string()
    }
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in files and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                match text { $($text => Ok($name::$variant),)+ _ => Err(text.to_string()) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The family a code belongs to: the same number means different things in each.
    Family {
        /// "Error code" in the Remote Desktop Connection dialog (`discReason`).
        DisconnectReason = "disconnect_reason",
        /// "Extended error code" (`ExtendedDisconnectReasonCode`).
        ExtendedReason = "extended_reason",
        /// MS-RDPBCGR Set Error Info PDU codes (`ERRINFO_*`).
        Errinfo = "errinfo",
        /// FreeRDP connection errors (`ERRCONNECT_*`).
        FreerdpErrconnect = "freerdp_errconnect",
        /// RD Gateway and transport codes.
        Gateway = "gateway",
        /// Azure Virtual Desktop, Windows App and Remote Desktop app codes.
        AvdClient = "avd_client",
        /// Windows event IDs.
        EventId = "event_id",
        /// Status codes and messages that belong to no family above.
        Other = "other",
        /// Windows NTSTATUS values (`STATUS_LOGON_FAILURE`, 0xC000006D).
        Ntstatus = "ntstatus",
        /// SSPI status codes (`SEC_E_*`, 0x8009xxxx).
        Sspi = "sspi",
        /// HRESULT and Win32 errors (0x8007xxxx, `E_PROXY_*`).
        Hresult = "hresult",
        /// Windows Sockets errors (`WSAETIMEDOUT`, 10060).
        Winsock = "winsock",
        /// OpenSSL certificate verification results and TLS library errors.
        Openssl = "openssl",
        /// FreeRDP log lines other than its ERRCONNECT/ERRINFO codes.
        Freerdp = "freerdp",
        /// Remmina's dialogs.
        Remmina = "remmina",
        /// xrdp and xrdp-sesman log lines and login-window messages.
        Xrdp = "xrdp",
        /// Apache Guacamole: guacd log lines and the web client's messages.
        Guacamole = "guacamole",
        /// rdesktop's messages.
        Rdesktop = "rdesktop",
    }
}

impl Family {
    /// The short prefix of `family:code` references (`disconnect:0x904`).
    pub fn prefix(self) -> &'static str {
        match self {
            Family::DisconnectReason => "disconnect",
            Family::ExtendedReason => "extended",
            Family::Errinfo => "errinfo",
            Family::FreerdpErrconnect => "errconnect",
            Family::Gateway => "gateway",
            Family::AvdClient => "avd",
            Family::EventId => "event",
            Family::Other => "other",
            Family::Ntstatus => "ntstatus",
            Family::Sspi => "sspi",
            Family::Hresult => "hresult",
            Family::Winsock => "winsock",
            Family::Openssl => "openssl",
            Family::Freerdp => "freerdp",
            Family::Remmina => "remmina",
            Family::Xrdp => "xrdp",
            Family::Guacamole => "guacamole",
            Family::Rdesktop => "rdesktop",
        }
    }

    /// The family for a `family:code` prefix; the full family name is accepted too.
    pub fn from_prefix(prefix: &str) -> Option<Family> {
        let prefix = prefix.to_ascii_lowercase();
        Family::ALL
            .iter()
            .copied()
            .find(|family| family.prefix() == prefix || family.as_str() == prefix)
    }

    /// A human label, e.g. "client disconnect reason".
    pub fn label(self) -> &'static str {
        match self {
            Family::DisconnectReason => "client disconnect reason",
            Family::ExtendedReason => "extended disconnect reason",
            Family::Errinfo => "server error info (ERRINFO)",
            Family::FreerdpErrconnect => "FreeRDP connection error",
            Family::Gateway => "RD Gateway / transport code",
            Family::AvdClient => "Azure Virtual Desktop / Windows App code",
            Family::EventId => "Windows event ID",
            Family::Other => "other status or message",
            Family::Ntstatus => "NTSTATUS",
            Family::Sspi => "SSPI status",
            Family::Hresult => "HRESULT / Win32 error",
            Family::Winsock => "Windows Sockets error",
            Family::Openssl => "OpenSSL result",
            Family::Freerdp => "FreeRDP log message",
            Family::Remmina => "Remmina message",
            Family::Xrdp => "xrdp message",
            Family::Guacamole => "Apache Guacamole message",
            Family::Rdesktop => "rdesktop message",
        }
    }

    /// When a number is read in this family, for `explain`.
    pub fn reading(self) -> &'static str {
        match self {
            Family::DisconnectReason => {
                "when it is the main \"Error code\" of a Remote Desktop Connection (mstsc) dialog, or the disconnect reason of an event 1026 or of the ActiveX client"
            }
            Family::ExtendedReason => {
                "when it is the \"Extended error code\" shown under the main code"
            }
            Family::Errinfo => {
                "when a FreeRDP, Remmina or xrdp log names it ERRINFO_* (the server's Set Error Info PDU), or FreeRDP prints it as 0x0001xxxx"
            }
            Family::FreerdpErrconnect => {
                "when a FreeRDP or Remmina log names it ERRCONNECT_* (printed as [0x0002xxxx])"
            }
            Family::Gateway => {
                "when a Microsoft client shows it as the error code of a connection through an RD Gateway"
            }
            Family::AvdClient => {
                "when Azure Virtual Desktop, Windows App or the Remote Desktop app shows it"
            }
            Family::EventId => "when it is an Event ID in a Windows event log",
            Family::Other => {
                "when it appears as a status (HRESULT, NTSTATUS) or in a third-party client"
            }
            Family::Ntstatus => {
                "when it is a status of a logon or NLA exchange (0xC000xxxx), e.g. an event 4625's Status or a FreeRDP NTSTATUS line"
            }
            Family::Sspi => "when it is an SSPI or Schannel status (0x8009xxxx, SEC_E_*)",
            Family::Hresult => {
                "when it is an HRESULT or a Win32 error a Windows client or gateway reports"
            }
            Family::Winsock => "when a client reports a socket error (10060, WSAETIMEDOUT)",
            Family::Openssl => {
                "when an OpenSSL-based client (FreeRDP, xrdp, rdesktop, guacd) reports a certificate or TLS error"
            }
            Family::Freerdp => "when a FreeRDP log prints it",
            Family::Remmina => "when Remmina shows it",
            Family::Xrdp => "when xrdp, xrdp-sesman or the xrdp login window prints it",
            Family::Guacamole => "when guacd logs it or the Guacamole web page shows it",
            Family::Rdesktop => "when rdesktop prints it",
        }
    }
}

vocabulary! {
    /// The root cause a rule diagnoses (DESIGN.md's fixed vocabulary).
    Category {
        /// The server's or gateway's certificate.
        Certificate = "certificate",
        /// Network Level Authentication / CredSSP.
        NlaCredssp = "nla_credssp",
        /// TLS version, cipher or security-layer mismatch.
        TlsSecurityLayer = "tls_security_layer",
        /// The RDP port cannot be reached or the link drops.
        NetworkUnreachable = "network_unreachable",
        /// Name resolution.
        Dns = "dns",
        /// RD Gateway other than its certificate.
        Gateway = "gateway",
        /// Wrong user name, password or stale saved credentials.
        Credentials = "credentials",
        /// The account's state: locked, disabled, expired, clock skew.
        AccountPolicy = "account_policy",
        /// Authenticated but not allowed to log on remotely.
        AuthorizationDenied = "authorization_denied",
        /// RDS licensing.
        Licensing = "licensing",
        /// Session counts and limits.
        SessionLimit = "session_limit",
        /// The server lacks resources or crashed.
        ServerResource = "server_resource",
        /// RDP protocol errors.
        ProtocolError = "protocol_error",
        /// The client is too old, too new or incompatible.
        ClientVersion = "client_version",
        /// "An internal error has occurred" with nothing more specific.
        InternalError = "internal_error",
        /// Anything else.
        Other = "other",
    }
}

/// A code as a rule names it: `disconnect:0x904`, or bare `0x904` for every family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeRef {
    /// The family, or `None` for every family that defines the code.
    pub family: Option<Family>,
    /// The code's value.
    pub code: Code,
}

impl Family {
    /// Every family prefix, comma-separated, for messages (`disconnect, extended, ...`).
    pub fn prefixes() -> String {
        Family::ALL
            .iter()
            .map(|f| f.prefix())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromStr for CodeRef {
    type Err = String;
    fn from_str(text: &str) -> Result<CodeRef, String> {
        let (family, code_text) = match text.split_once(':') {
            Some((prefix, rest)) => {
                let family = Family::from_prefix(prefix.trim()).ok_or_else(|| {
                    format!(
                        "unknown family prefix `{prefix}` in `{text}`; expected one of {}",
                        Family::prefixes()
                    )
                })?;
                (Some(family), rest)
            }
            None => (None, text),
        };
        let code = Code::parse(code_text)
            .ok_or_else(|| format!("`{code_text}` is not a code (write hex like 0x904)"))?;
        Ok(CodeRef { family, code })
    }
}

impl fmt::Display for CodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            Some(family) => write!(f, "{}:{}", family.prefix(), self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

/// A document a fact or a fix comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// The document's title.
    pub title: String,
    /// Where to read it.
    pub url: String,
}

impl Reference {
    /// True when the URL is an http(s) address, the only kind pages link to.
    pub fn is_web(&self) -> bool {
        is_web_url(&self.url)
    }
}

/// True for an `http://` or `https://` URL (any case, leading spaces ignored).
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Where a piece of knowledge was loaded from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Shipped in the binary; the path is relative to the repository root.
    Embedded(String),
    /// A file given at run time.
    File(std::path::PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Embedded(path) => write!(f, "embedded {path}"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A path segment from an id: kebab-case ids as they are, anything else spelled safely.
pub fn slug(id: &str) -> String {
    let safe = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if safe {
        return id.to_string();
    }
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else {
            out.push_str(&format!("~{:x}", c as u32));
        }
    }
    if out.is_empty() { "~".into() } else { out }
}

/// The path of a rule's page.
pub fn rule_path(id: &str) -> String {
    format!("rules/{}/index.html", slug(id))
}

/// The path of a catalog entry's page: `codes/disconnect/0x904/index.html`.
pub fn code_path(entry: &codes::CatalogEntry) -> String {
    format!(
        "codes/{}/{}/index.html",
        entry.family.prefix(),
        slug(&entry.display_code())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_normalise_every_spelling() {
        for spelling in ["0x904", "0X00000904", "0x0000_0904", "2308", "0x0904"] {
            assert_eq!(Code::parse(spelling), Some(Code(0x904)), "{spelling}");
        }
        assert_eq!(Code(0x904).to_string(), "0x904");
        assert_eq!(Code::parse("0x"), None);
        assert_eq!(Code::parse("0x1234567890"), None);
        assert_eq!(Code::parse("0x000080090302"), Some(Code(0x8009_0302)));
        assert_eq!(Code::parse("12ab"), None);
    }

    #[test]
    fn code_refs_take_a_family_prefix() {
        let parsed: CodeRef = "disconnect:0x904".parse().unwrap();
        assert_eq!(parsed.family, Some(Family::DisconnectReason));
        assert_eq!(parsed.to_string(), "disconnect:0x904");
        let bare: CodeRef = "0x7".parse().unwrap();
        assert_eq!(bare.family, None);
        assert!(
            "nope:0x7"
                .parse::<CodeRef>()
                .unwrap_err()
                .contains("unknown family")
        );
    }
}
