//! The network calls behind probe scripts: DNS, TCP, the RDP negotiation, TLS and HTTPS, each
//! bounded in time and in bytes read.
//!
//! Every call returns a plain result; a refused port, a timeout or a server that answers
//! nonsense is an [`NetError`] with a kind a script can test (`refused`, `timeout`, ...), never
//! a panic. Nothing here sends credentials.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::x509::{CertificateFacts, TrustVerdict};

/// `requestedProtocols` / `selectedProtocol` bits of MS-RDPBCGR 2.2.1.1.1.
pub const PROTOCOL_NAMES: [(u32, &str); 5] = [
    (0x1, "PROTOCOL_SSL"),
    (0x2, "PROTOCOL_HYBRID"),
    (0x4, "PROTOCOL_RDSTLS"),
    (0x8, "PROTOCOL_HYBRID_EX"),
    (0x10, "PROTOCOL_RDSAAD"),
];

/// The protocols mstsc asks for: TLS, CredSSP and CredSSP with early user authorization.
pub const DEFAULT_REQUEST: u32 = 0x1 | 0x2 | 0x8;

/// Bounds on one host call.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Budget of the whole call (resolve, connect, exchange, handshake).
    pub timeout: Duration,
    /// Most bytes read from the peer in one call.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: crate::limits::NETWORK_CALL_TIME,
            max_bytes: crate::limits::NETWORK_CALL_BYTES,
        }
    }
}

/// Why a call failed, as a kind a script can branch on and a sentence a person can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetError {
    /// What kind of failure; scripts see it as a string (`refused`, `timeout`, ...).
    pub kind: NetErrorKind,
    /// What happened, in one sentence.
    pub message: String,
}

/// The kinds of [`NetError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetErrorKind {
    /// The resolver answered that the name does not exist or has no address
    /// (`name_not_found`).
    NameNotFound,
    /// The name could not be looked up: no working resolver, a temporary or system failure
    /// (`resolve`).
    Resolve,
    /// Nothing listens on the port, or a firewall rejects it (`refused`).
    Refused,
    /// No route to the host (`unreachable`).
    Unreachable,
    /// The call ran past its budget (`timeout`).
    Timeout,
    /// The server reset the connection (`reset`).
    Reset,
    /// The server closed the connection early (`closed`).
    Closed,
    /// The server answered with something that is not the protocol (`garbage`).
    Garbage,
    /// The server sent more than allowed (`too_large`).
    TooLarge,
    /// The server does not offer TLS (`no_tls`).
    NoTls,
    /// The TLS handshake failed (`tls`).
    Tls,
    /// The server speaks only a TLS version older than 1.2 (`legacy_tls`).
    LegacyTls,
    /// An HTTP answer that does not read (`http`).
    Http,
    /// An argument that is not valid (a server name, a URL) (`invalid`).
    Invalid,
    /// Any other input or output error (`io`).
    Io,
    /// The server refused the negotiation with RDP_NEG_FAILURE (`negotiation_failure`).
    NegotiationFailure,
    /// The server does not speak CredSSP (`no_credssp`).
    NoCredssp,
    /// A replayed recording holds no answer to the call (`not_recorded`).
    NotRecorded,
}

impl NetErrorKind {
    /// The name scripts test (`error == "refused"`).
    pub fn as_str(self) -> &'static str {
        match self {
            NetErrorKind::NameNotFound => "name_not_found",
            NetErrorKind::Resolve => "resolve",
            NetErrorKind::Refused => "refused",
            NetErrorKind::Unreachable => "unreachable",
            NetErrorKind::Timeout => "timeout",
            NetErrorKind::Reset => "reset",
            NetErrorKind::Closed => "closed",
            NetErrorKind::Garbage => "garbage",
            NetErrorKind::TooLarge => "too_large",
            NetErrorKind::NoTls => "no_tls",
            NetErrorKind::Tls => "tls",
            NetErrorKind::LegacyTls => "legacy_tls",
            NetErrorKind::Http => "http",
            NetErrorKind::Invalid => "invalid",
            NetErrorKind::Io => "io",
            NetErrorKind::NegotiationFailure => "negotiation_failure",
            NetErrorKind::NoCredssp => "no_credssp",
            NetErrorKind::NotRecorded => "not_recorded",
        }
    }
}

impl fmt::Display for NetErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl NetError {
    fn new(kind: NetErrorKind, message: impl Into<String>) -> NetError {
        NetError {
            kind,
            message: message.into(),
        }
    }

    fn io(stage: &str, error: &io::Error, read: u64) -> NetError {
        use io::ErrorKind::*;
        let received = if read > 0 {
            format!(" after {read} bytes")
        } else {
            String::new()
        };
        match error.kind() {
            ConnectionRefused => NetError::new(
                NetErrorKind::Refused,
                "connection refused: nothing listens on that port, or a firewall rejects it",
            ),
            ConnectionReset => NetError::new(
                NetErrorKind::Reset,
                format!("the server reset the connection during {stage}{received}"),
            ),
            UnexpectedEof | ConnectionAborted | BrokenPipe => NetError::new(
                NetErrorKind::Closed,
                format!("the server closed the connection during {stage}{received}"),
            ),
            HostUnreachable | NetworkUnreachable => NetError::new(
                NetErrorKind::Unreachable,
                format!("no route to the host ({error})"),
            ),
            InvalidData if error.to_string().contains("byte limit") => NetError::new(
                NetErrorKind::TooLarge,
                format!("the server sent more than allowed during {stage}"),
            ),
            _ => NetError::new(NetErrorKind::Io, format!("{stage} failed: {error}")),
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NetError {}

/// Runs `future` within the call's budget, naming the stage in the timeout message.
async fn bounded<T>(
    deadline: Instant,
    stage: &str,
    progress: impl Fn() -> u64,
    future: impl Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(left, future).await {
        Ok(result) => result,
        Err(_) => {
            let read = progress();
            let received = if read > 0 {
                format!(" ({read} bytes received)")
            } else {
                String::new()
            };
            Err(NetError::new(
                NetErrorKind::Timeout,
                format!("no complete answer to {stage} within the time limit{received}"),
            ))
        }
    }
}

/// The addresses of `host`: itself when it is an IP address, else the system resolver's answer.
pub async fn resolve(host: &str, limits: Limits) -> Result<Vec<IpAddr>, NetError> {
    let deadline = Instant::now() + limits.timeout;
    resolve_until(host, deadline).await
}

/// What a resolver's error says: that the name does not exist (glibc's EAI_NONAME and
/// EAI_NODATA, macOS's, Windows' WSAHOST_NOT_FOUND and WSANO_DATA), or that the lookup itself
/// failed (EAI_AGAIN "Temporary failure in name resolution", EAI_SYSTEM, EAI_FAIL).
fn resolver_error_kind(message: &str) -> NetErrorKind {
    let message = message.to_ascii_lowercase();
    let not_found = [
        "name or service not known",
        "no address associated with hostname",
        "nodename nor servname provided",
        "no such host is known",
        "requested name is valid, but no data",
    ];
    if not_found.iter().any(|words| message.contains(words)) {
        NetErrorKind::NameNotFound
    } else {
        NetErrorKind::Resolve
    }
}

async fn resolve_until(host: &str, deadline: Instant) -> Result<Vec<IpAddr>, NetError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    if bare.is_empty() || bare.len() > 253 || bare.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(NetError::new(
            NetErrorKind::Invalid,
            format!("`{host}` is not a host name"),
        ));
    }
    let lookup = async {
        match tokio::net::lookup_host((bare, 0)).await {
            Ok(addresses) => {
                let mut ips: Vec<IpAddr> = Vec::new();
                for address in addresses {
                    if !ips.contains(&address.ip()) {
                        ips.push(address.ip());
                    }
                }
                Ok(ips)
            }
            Err(error) => Err(NetError::new(
                resolver_error_kind(&error.to_string()),
                format!("the name `{bare}` does not resolve ({error})"),
            )),
        }
    };
    bounded(deadline, "the name lookup", || 0, lookup).await
}

/// A TCP connection that was made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connected {
    /// The address that answered.
    pub address: String,
    /// Milliseconds until the connection was made.
    pub elapsed_ms: u64,
}

/// Connects to `host:port`, trying each address in turn.
pub async fn tcp_connect(host: &str, port: u16, limits: Limits) -> Result<Connected, NetError> {
    let start = Instant::now();
    let deadline = start + limits.timeout;
    let (stream, address) = connect_until(host, port, deadline).await?;
    drop(stream);
    Ok(Connected {
        address: address.to_string(),
        elapsed_ms: millis(start),
    })
}

async fn connect_until(
    host: &str,
    port: u16,
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), NetError> {
    let ips = resolve_until(host, deadline).await?;
    let mut last = NetError::new(NetErrorKind::Resolve, format!("`{host}` has no address"));
    for ip in ips {
        let address = SocketAddr::new(ip, port);
        let attempt = async {
            TcpStream::connect(address)
                .await
                .map_err(|e| NetError::io("the TCP connection", &e, 0))
        };
        match bounded(
            deadline,
            &format!("the TCP connection to {address}"),
            || 0,
            attempt,
        )
        .await
        {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok((stream, address));
            }
            Err(error) => last = error,
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    Err(last)
}

/// What the server answered to the X.224 Connection Request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "snake_case")]
pub enum NegotiationAnswer {
    /// RDP_NEG_RSP: the protocol the server selected.
    Selected {
        /// `selectedProtocol`.
        protocol: u32,
        /// The RDP_NEG_RSP flags.
        flags: u8,
    },
    /// RDP_NEG_FAILURE with its code.
    Failure {
        /// `failureCode`.
        code: u32,
    },
    /// A Connection Confirm without negotiation data: a server that predates RDP 5.2's
    /// negotiation, speaking standard RDP security only.
    Legacy,
}

/// The result of one negotiation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Negotiation {
    /// The address that answered.
    pub address: String,
    /// `requestedProtocols` as sent.
    pub requested: u32,
    /// The server's answer.
    #[serde(flatten)]
    pub answer: NegotiationAnswer,
    /// Milliseconds for connect plus exchange.
    pub elapsed_ms: u64,
}

impl Negotiation {
    /// The selected protocol when the server chose a TLS-based one (everything but standard
    /// RDP security).
    pub fn tls_protocol(&self) -> Option<u32> {
        match self.answer {
            NegotiationAnswer::Selected { protocol, .. } if protocol != 0 => Some(protocol),
            _ => None,
        }
    }
}

/// `PROTOCOL_SSL|PROTOCOL_HYBRID` for 3; `PROTOCOL_RDP` for 0.
pub fn protocol_names(bits: u32) -> String {
    if bits == 0 {
        return "PROTOCOL_RDP".into();
    }
    let mut names: Vec<String> = PROTOCOL_NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| name.to_string())
        .collect();
    let known: u32 = PROTOCOL_NAMES.iter().map(|(bit, _)| bit).sum();
    if bits & !known != 0 {
        names.push(format!("0x{:x}", bits & !known));
    }
    names.join("|")
}

/// The names of the RDP_NEG_RSP flags (MS-RDPBCGR 2.2.1.2.1).
pub fn flag_names(flags: u8) -> Vec<&'static str> {
    [
        (0x01, "EXTENDED_CLIENT_DATA_SUPPORTED"),
        (0x02, "DYNVC_GFX_PROTOCOL_SUPPORTED"),
        (0x04, "NEGRSP_FLAG_RESERVED"),
        (0x08, "RESTRICTED_ADMIN_MODE_SUPPORTED"),
        (0x10, "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED"),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, name)| *name)
    .collect()
}

/// Parses `ssl|hybrid`, `PROTOCOL_SSL`, `rdp` into protocol bits.
pub fn parse_protocols(text: &str) -> Result<u32, String> {
    let mut bits = 0;
    for part in text.split(['|', ',', '+', ' ']).filter(|p| !p.is_empty()) {
        let name = part.trim().to_ascii_uppercase();
        let name = name.strip_prefix("PROTOCOL_").unwrap_or(&name);
        if name == "RDP" {
            continue;
        }
        match PROTOCOL_NAMES
            .iter()
            .find(|(_, n)| &n["PROTOCOL_".len()..] == name)
        {
            Some((bit, _)) => bits |= bit,
            None => {
                return Err(format!(
                    "unknown protocol `{part}` (use rdp, ssl, hybrid, rdstls, hybrid_ex)"
                ));
            }
        }
    }
    Ok(bits)
}

/// The name of an RDP_NEG_FAILURE code (MS-RDPBCGR 2.2.1.2.2).
pub fn failure_name(code: u32) -> &'static str {
    match code {
        1 => "SSL_REQUIRED_BY_SERVER",
        2 => "SSL_NOT_ALLOWED_BY_SERVER",
        3 => "SSL_CERT_NOT_ON_SERVER",
        4 => "INCONSISTENT_FLAGS",
        5 => "HYBRID_REQUIRED_BY_SERVER",
        6 => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
        _ => "UNKNOWN_FAILURE",
    }
}

/// Connects and sends an X.224 Connection Request with an RDP_NEG_REQ for `protocols`.
pub async fn rdp_negotiate(
    host: &str,
    port: u16,
    protocols: u32,
    limits: Limits,
) -> Result<Negotiation, NetError> {
    let start = Instant::now();
    let (_, negotiation) = open_negotiated(host, port, protocols, start + limits.timeout).await?;
    Ok(negotiation)
}

/// Connects and negotiates; returns the connection, ready for what the server selected.
async fn open_negotiated(
    host: &str,
    port: u16,
    protocols: u32,
    deadline: Instant,
) -> Result<(TcpStream, Negotiation), NetError> {
    let start = Instant::now();
    let (mut stream, address) = connect_until(host, port, deadline).await?;
    let answer = negotiate_on(&mut stream, protocols, deadline).await?;
    let negotiation = Negotiation {
        address: address.to_string(),
        requested: protocols,
        answer,
        elapsed_ms: millis(start),
    };
    Ok((stream, negotiation))
}

/// The 19-byte Connection Request: TPKT, X.224 CR TPDU, RDP_NEG_REQ.
fn connection_request(protocols: u32) -> [u8; 19] {
    let mut pdu = [0u8; 19];
    pdu[..4].copy_from_slice(&[0x03, 0x00, 0x00, 0x13]);
    pdu[4..11].copy_from_slice(&[0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00]);
    pdu[11..15].copy_from_slice(&[0x01, 0x00, 0x08, 0x00]);
    pdu[15..].copy_from_slice(&protocols.to_le_bytes());
    pdu
}

async fn negotiate_on(
    stream: &mut TcpStream,
    protocols: u32,
    deadline: Instant,
) -> Result<NegotiationAnswer, NetError> {
    let read = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = read.clone();
    let exchange = async move {
        stream
            .write_all(&connection_request(protocols))
            .await
            .map_err(|e| NetError::io("the X.224 Connection Request", &e, 0))?;
        let mut header = [0u8; 4];
        let mut filled = 0;
        while filled < 4 {
            let n = stream
                .read(&mut header[filled..])
                .await
                .map_err(|e| NetError::io("the negotiation", &e, filled as u64))?;
            if n == 0 {
                return Err(NetError::new(
                    NetErrorKind::Closed,
                    closed_message(filled, "before answering the X.224 Connection Request"),
                ));
            }
            filled += n;
            counter.store(filled as u64, std::sync::atomic::Ordering::Relaxed);
        }
        if header[0] != 0x03 {
            return Err(not_tpkt(&header));
        }
        let length = u16::from_be_bytes([header[2], header[3]]) as usize;
        if !(11..=1024).contains(&length) {
            return Err(NetError::new(
                NetErrorKind::Garbage,
                format!(
                    "the server's TPKT header announces {length} bytes, not an X.224 Connection Confirm"
                ),
            ));
        }
        let mut body = vec![0u8; length - 4];
        let mut got = 0;
        while got < body.len() {
            let n = stream
                .read(&mut body[got..])
                .await
                .map_err(|e| NetError::io("the negotiation", &e, (4 + got) as u64))?;
            if n == 0 {
                return Err(NetError::new(
                    NetErrorKind::Closed,
                    closed_message(4 + got, "in the middle of the X.224 Connection Confirm"),
                ));
            }
            got += n;
            counter.store((4 + got) as u64, std::sync::atomic::Ordering::Relaxed);
        }
        parse_confirm(&body)
    };
    bounded(
        deadline,
        "the X.224 Connection Request",
        || read.load(std::sync::atomic::Ordering::Relaxed),
        exchange,
    )
    .await
}

fn closed_message(read: usize, when: &str) -> String {
    if read == 0 {
        format!("the server closed the connection {when}")
    } else {
        format!("the server closed the connection after {read} bytes, {when}")
    }
}

/// Names what a non-TPKT answer looks like.
fn not_tpkt(header: &[u8; 4]) -> NetError {
    let what = if header.starts_with(b"HTTP") {
        "an HTTP response: this port serves a web server, not RDP".to_string()
    } else if header.starts_with(b"SSH-") {
        "an SSH banner: this port serves SSH, not RDP".to_string()
    } else if header[0] == 0x15 || header[0] == 0x16 {
        "a TLS record: this port expects TLS first, not RDP's X.224 request".to_string()
    } else {
        format!(
            "bytes that are not TPKT ({})",
            header
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    NetError::new(
        NetErrorKind::Garbage,
        format!("the server answered with {what}"),
    )
}

/// Reads an X.224 Connection Confirm (after the TPKT header).
pub(crate) fn parse_confirm(body: &[u8]) -> Result<NegotiationAnswer, NetError> {
    let garbage = |why: &str| {
        NetError::new(
            NetErrorKind::Garbage,
            format!("not an X.224 Connection Confirm: {why}"),
        )
    };
    let (&length_indicator, rest) = body.split_first().ok_or_else(|| garbage("empty TPDU"))?;
    let code = *rest.first().ok_or_else(|| garbage("no TPDU code"))?;
    match code & 0xf0 {
        0xd0 => {}
        0x80 => {
            return Err(NetError::new(
                NetErrorKind::Garbage,
                "the server answered with an X.224 Disconnect Request: it refuses the connection",
            ));
        }
        _ => return Err(garbage(&format!("TPDU code 0x{code:02x}"))),
    }
    if (length_indicator as usize) + 1 > body.len() {
        return Err(garbage("the length indicator exceeds the packet"));
    }
    // LI, code, DST-REF (2), SRC-REF (2), class (1), then the 8-byte negotiation structure.
    let Some(neg) = body.get(7..15) else {
        return Ok(NegotiationAnswer::Legacy);
    };
    let value = u32::from_le_bytes([neg[4], neg[5], neg[6], neg[7]]);
    match neg[0] {
        0x02 => Ok(NegotiationAnswer::Selected {
            protocol: value,
            flags: neg[1],
        }),
        0x03 => Ok(NegotiationAnswer::Failure { code: value }),
        other => Err(garbage(&format!("negotiation type 0x{other:02x}"))),
    }
}

/// The TLS session a server offered after the negotiation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsReport {
    /// The negotiation that preceded the handshake.
    pub negotiation: Negotiation,
    /// `TLSv1_3`, `TLSv1_2`; empty when the handshake failed.
    pub version: String,
    /// The negotiated cipher suite.
    pub cipher: String,
    /// True when the server offered only TLS 1.0 or 1.1, which rustls (and current Windows
    /// clients by policy) refuse.
    pub legacy_tls_only: bool,
    /// Why the handshake failed, when it did after the certificate was seen.
    pub handshake_error: Option<String>,
    /// The server's certificate.
    pub certificate: Option<CertificateFacts>,
    /// How many certificates the server sent.
    pub chain_length: usize,
    /// What the system's trust store says of the chain.
    pub trust: Option<TrustVerdict>,
}

/// Negotiates `protocols` (default: TLS and CredSSP), then performs a TLS handshake that accepts
/// any certificate, for inspection only.
pub async fn tls_certificate(
    host: &str,
    port: u16,
    protocols: u32,
    limits: Limits,
) -> Result<TlsReport, NetError> {
    let start = Instant::now();
    let deadline = start + limits.timeout;
    let (stream, negotiation) = open_negotiated(host, port, protocols, deadline).await?;
    match negotiation.answer {
        NegotiationAnswer::Selected { protocol: 0, .. } => {
            return Err(NetError::new(
                NetErrorKind::NoTls,
                "the server selected PROTOCOL_RDP (standard RDP security): no TLS offered, so there is no certificate to read",
            ));
        }
        NegotiationAnswer::Legacy => {
            return Err(NetError::new(
                NetErrorKind::NoTls,
                "the server answered without negotiation data (standard RDP security only): no TLS offered",
            ));
        }
        NegotiationAnswer::Failure { code } => {
            return Err(NetError::new(
                NetErrorKind::NegotiationFailure,
                format!(
                    "the server refused the request with RDP_NEG_FAILURE {} ({code})",
                    failure_name(code)
                ),
            ));
        }
        NegotiationAnswer::Selected { .. } => {}
    }
    let session = tls_handshake(stream, host, deadline, limits.max_bytes, &[]).await?;
    Ok(TlsReport {
        negotiation: Negotiation {
            elapsed_ms: millis(start),
            ..negotiation
        },
        version: session.version,
        cipher: session.cipher,
        legacy_tls_only: session.legacy_tls_only,
        handshake_error: session.handshake_error,
        certificate: session.certificate,
        chain_length: session.chain_length,
        trust: session.trust,
    })
}

struct TlsSession {
    version: String,
    cipher: String,
    legacy_tls_only: bool,
    handshake_error: Option<String>,
    certificate: Option<CertificateFacts>,
    chain_length: usize,
    trust: Option<TrustVerdict>,
    stream: Option<tokio_rustls::client::TlsStream<Limited<TcpStream>>>,
}

async fn tls_handshake(
    stream: TcpStream,
    host: &str,
    deadline: Instant,
    max_bytes: u64,
    alpn: &[&[u8]],
) -> Result<TlsSession, NetError> {
    let seen = Arc::new(Mutex::new(Vec::<CertificateDer<'static>>::new()));
    let verifier = Arc::new(InspectOnly {
        seen: seen.clone(),
        schemes: all_schemes(),
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::new(NetErrorKind::Tls, e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let name = server_name(host)?;
    let limited = Limited::new(stream, max_bytes);
    let progress = limited.counter();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let outcome = bounded(
        deadline,
        "the TLS handshake",
        move || progress.load(std::sync::atomic::Ordering::Relaxed),
        async {
            connector
                .connect(name.clone(), limited)
                .await
                .map_err(|e| classify_tls_error(&e))
        },
    )
    .await;
    let chain = seen.lock().map(|c| c.clone()).unwrap_or_default();
    let certificate = chain
        .first()
        .map(|der| CertificateFacts::from_der(der, host));
    let trust = chain
        .first()
        .map(|end_entity| super::x509::system_trust(end_entity, &chain[1..], &name));
    match outcome {
        Ok(stream) => {
            let (_, connection) = stream.get_ref();
            let version = connection
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default();
            let cipher = connection
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default();
            Ok(TlsSession {
                version,
                cipher,
                legacy_tls_only: false,
                handshake_error: None,
                certificate: certificate.clone(),
                chain_length: chain.len(),
                trust,
                stream: Some(stream),
            })
        }
        Err(error) => {
            if error.kind == NetErrorKind::LegacyTls {
                return Ok(TlsSession {
                    version: String::new(),
                    cipher: String::new(),
                    legacy_tls_only: true,
                    handshake_error: Some(
                        "the server offers only TLS 1.0 or 1.1; TLS 1.2 or later was refused"
                            .into(),
                    ),
                    certificate: certificate.clone(),
                    chain_length: chain.len(),
                    trust,
                    stream: None,
                });
            }
            if error.kind == NetErrorKind::Tls && !chain.is_empty() {
                return Ok(TlsSession {
                    version: String::new(),
                    cipher: String::new(),
                    legacy_tls_only: false,
                    handshake_error: Some(error.message),
                    certificate: certificate.clone(),
                    chain_length: chain.len(),
                    trust,
                    stream: None,
                });
            }
            Err(tls_error(error))
        }
    }
}

/// Sorts a handshake error: a server that offers only TLS 1.0/1.1 (it selects an old version,
/// or refuses ours with a protocol_version alert) is `legacy_tls`; other rustls errors are
/// `tls`; I/O errors keep their own kind.
fn classify_tls_error(error: &io::Error) -> NetError {
    use rustls::{AlertDescription, PeerIncompatible};
    let inner = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13))
        | Some(rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)) => {
            NetError::new(NetErrorKind::LegacyTls, error.to_string())
        }
        Some(other) => NetError::new(NetErrorKind::Tls, other.to_string()),
        None if error.to_string().contains("byte limit") => NetError::new(
            NetErrorKind::TooLarge,
            "the server sent more than allowed during the TLS handshake",
        ),
        None => NetError::io("the TLS handshake", error, 0),
    }
}

/// Words a failed handshake for a person: a message rustls could not parse is not TLS.
fn tls_error(error: NetError) -> NetError {
    if error.kind != NetErrorKind::Tls {
        return error;
    }
    let lower = error.message.to_ascii_lowercase();
    if lower.contains("corrupt message") || lower.contains("invalid") {
        NetError::new(
            NetErrorKind::Garbage,
            format!("the server's TLS answer is not TLS ({})", error.message),
        )
    } else {
        NetError::new(
            NetErrorKind::Tls,
            format!("the TLS handshake failed: {}", error.message),
        )
    }
}

fn server_name(host: &str) -> Result<ServerName<'static>, NetError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_string()).map_err(|_| {
        NetError::new(
            NetErrorKind::Invalid,
            format!("`{host}` is not a valid server name"),
        )
    })
}

/// Every signature scheme rustls knows, so old servers (SHA-1, PKCS#1) still complete the
/// handshake: the point is to see their certificate, not to trust the session.
fn all_schemes() -> Vec<SignatureScheme> {
    use SignatureScheme::*;
    vec![
        RSA_PKCS1_SHA1,
        ECDSA_SHA1_Legacy,
        RSA_PKCS1_SHA256,
        ECDSA_NISTP256_SHA256,
        RSA_PKCS1_SHA384,
        ECDSA_NISTP384_SHA384,
        RSA_PKCS1_SHA512,
        ECDSA_NISTP521_SHA512,
        RSA_PSS_SHA256,
        RSA_PSS_SHA384,
        RSA_PSS_SHA512,
        ED25519,
        ED448,
    ]
}

/// A certificate verifier that records the chain and accepts it: inspection only. The session
/// is never used to send anything but the handshake.
#[derive(Debug)]
struct InspectOnly {
    seen: Arc<Mutex<Vec<CertificateDer<'static>>>>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for InspectOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.clear();
            seen.push(end_entity.clone().into_owned());
            seen.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// A stream that fails once more than `limit` bytes were read from it.
struct Limited<S> {
    inner: S,
    read: Arc<std::sync::atomic::AtomicU64>,
    limit: u64,
}

impl<S> Limited<S> {
    fn new(inner: S, limit: u64) -> Limited<S> {
        Limited {
            inner,
            read: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            limit,
        }
    }

    fn counter(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.read.clone()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        use std::sync::atomic::Ordering::Relaxed;
        let done = self.read.load(Relaxed);
        if done >= self.limit {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "byte limit reached",
            )));
        }
        let room = (self.limit - done).min(buf.remaining() as u64) as usize;
        let mut limited = ReadBuf::new(buf.initialize_unfilled_to(room));
        let poll = Pin::new(&mut self.inner).poll_read(cx, &mut limited);
        let n = limited.filled().len();
        if let Poll::Ready(Ok(())) = poll {
            buf.advance(n);
            self.read.fetch_add(n as u64, Relaxed);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What an RD Gateway's HTTPS endpoint answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HttpsReport {
    /// The address that answered.
    pub address: String,
    /// The TLS version of the session.
    pub version: String,
    /// True when the gateway offered only TLS 1.0 or 1.1.
    pub legacy_tls_only: bool,
    /// Why the TLS handshake failed after the certificate was seen; empty when it completed.
    pub handshake_error: String,
    /// The gateway's certificate.
    pub certificate: Option<CertificateFacts>,
    /// What the system's trust store says of it.
    pub trust: Option<TrustVerdict>,
    /// HTTP status of the RDG_OUT_DATA request (0 when none came).
    pub status: u16,
    /// Its reason phrase.
    pub reason: String,
    /// Authentication schemes of the WWW-Authenticate headers (`Negotiate`, `NTLM`, `Basic`).
    pub auth_schemes: Vec<String>,
    /// The `Server` header.
    pub server: String,
    /// Milliseconds for the whole exchange.
    pub elapsed_ms: u64,
}

/// A parsed `https://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayUrl {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port, 443 unless given.
    pub port: u16,
    /// Path, `/remoteDesktopGateway/` unless given.
    pub path: String,
}

impl GatewayUrl {
    /// Reads `https://gw.example.com`, `gw.example.com:8443`, `https://[::1]:443/path`.
    pub fn parse(text: &str) -> Result<GatewayUrl, String> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "`{scheme}` URLs are not RD Gateway URLs; use https://"
                ));
            }
            None => text,
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = split_host_port(authority, 443)?;
        let path = if path.is_empty() || path == "/" {
            "/remoteDesktopGateway/".to_string()
        } else {
            path.to_string()
        };
        if path.chars().any(|c| c.is_control() || c == ' ') {
            return Err("the URL path has spaces or control characters".into());
        }
        Ok(GatewayUrl { host, port, path })
    }
}

/// Splits `host[:port]`, `[v6]:port` or a bare IPv6 address.
pub fn split_host_port(text: &str, default_port: u16) -> Result<(String, u16), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no host given".into());
    }
    let parse_port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("`{p}` is not a port number (1-65535)"))
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{text}`: missing `]`"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => default_port,
            None => return Err(format!("`{text}`: unexpected `{after}` after the address")),
        };
        return Ok((host.to_string(), port));
    }
    if text.matches(':').count() > 1 {
        return Ok((text.to_string(), default_port));
    }
    match text.split_once(':') {
        Some((host, port)) => Ok((host.to_string(), parse_port(port)?)),
        None => Ok((text.to_string(), default_port)),
    }
}

/// Connects to an RD Gateway over TLS (any certificate, for inspection) and sends the unauthenticated
/// RDG_OUT_DATA request of MS-TSGU's HTTP transport. A healthy gateway answers 401 with the
/// schemes it accepts.
pub async fn https_probe(url: &GatewayUrl, limits: Limits) -> Result<HttpsReport, NetError> {
    let start = Instant::now();
    let deadline = start + limits.timeout;
    let (stream, address) = connect_until(&url.host, url.port, deadline).await?;
    let session = tls_handshake(
        stream,
        &url.host,
        deadline,
        limits.max_bytes,
        &[b"http/1.1"],
    )
    .await?;
    let mut report = HttpsReport {
        address: address.to_string(),
        version: session.version.clone(),
        legacy_tls_only: session.legacy_tls_only,
        handshake_error: session.handshake_error.clone().unwrap_or_default(),
        certificate: session.certificate.clone(),
        trust: session.trust.clone(),
        status: 0,
        reason: String::new(),
        auth_schemes: Vec::new(),
        server: String::new(),
        elapsed_ms: 0,
    };
    let Some(mut tls) = session.stream else {
        report.elapsed_ms = millis(start);
        return Ok(report);
    };
    let host_header = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    let request = format!(
        "RDG_OUT_DATA {} HTTP/1.1\r\nHost: {}\r\nAccept: */*\r\nCache-Control: no-cache\r\nPragma: no-cache\r\nRDG-Connection-Id: {{{}}}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        url.path,
        host_header,
        connection_id()
    );
    let exchange = async {
        tls.write_all(request.as_bytes())
            .await
            .map_err(|e| NetError::io("the HTTP request", &e, 0))?;
        let mut head = Vec::new();
        let mut chunk = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = match tls.read(&mut chunk).await {
                Ok(n) => n,
                Err(e) if head.is_empty() => return Err(NetError::io("the HTTP response", &e, 0)),
                Err(_) => 0,
            };
            if n == 0 {
                break;
            }
            head.extend_from_slice(&chunk[..n]);
            if head.len() > 32 * 1024 {
                break;
            }
        }
        Ok(head)
    };
    let head = bounded(deadline, "the gateway's HTTP request", || 0, exchange).await?;
    parse_http_head(&head, &mut report)?;
    report.elapsed_ms = millis(start);
    Ok(report)
}

pub(crate) fn parse_http_head(head: &[u8], report: &mut HttpsReport) -> Result<(), NetError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(NetError::new(
            NetErrorKind::Http,
            if head.is_empty() {
                "the gateway closed the connection without an HTTP answer".to_string()
            } else {
                "the gateway's answer is not HTTP".to_string()
            },
        ));
    }
    report.status = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
        NetError::new(
            NetErrorKind::Http,
            "the HTTP status line has no status code",
        )
    })?;
    report.reason = parts.next().unwrap_or_default().trim().to_string();
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("www-authenticate") {
            for scheme in value.split(',') {
                let scheme = scheme.split_whitespace().next().unwrap_or_default();
                if !scheme.is_empty()
                    && !scheme.contains('=')
                    && !report.auth_schemes.iter().any(|s| s == scheme)
                {
                    report.auth_schemes.push(scheme.to_string());
                }
            }
        } else if name.eq_ignore_ascii_case("server") {
            report.server = value.to_string();
        }
    }
    Ok(())
}

/// A fresh GUID-shaped identifier for RDG-Connection-Id (random, from ring).
fn connection_id() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// What the server answered inside TLS to the first CredSSP message: a TSRequest carrying an
/// NTLM NEGOTIATE_MESSAGE, which holds no user name, domain or password.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CredsspReport {
    /// The negotiation that preceded TLS.
    pub negotiation: Option<Negotiation>,
    /// The server answered with an NTLM CHALLENGE_MESSAGE: CredSSP works.
    pub challenge: bool,
    /// The TSRequest version of the answer.
    pub ts_version: i64,
    /// The TSRequest `errorCode` (an NTSTATUS), 0 when none.
    pub error_code: i64,
    /// NetBIOS computer name from the challenge's target information.
    pub netbios_computer: String,
    /// NetBIOS domain name.
    pub netbios_domain: String,
    /// DNS computer name.
    pub dns_computer: String,
    /// DNS domain name.
    pub dns_domain: String,
    /// DNS forest name.
    pub dns_tree: String,
    /// The server's version from the challenge (`10.0.17763`), empty when absent.
    pub os_version: String,
    /// Milliseconds for the whole exchange.
    pub elapsed_ms: u64,
}

/// The NTLM NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): Unicode, NTLM, extended session security,
/// target info, 128/56-bit, key exchange, version; no domain or workstation.
const NTLM_NEGOTIATE: [u8; 40] = [
    b'N', b'T', b'L', b'M', b'S', b'S', b'P', 0, // signature
    1, 0, 0, 0, // NEGOTIATE_MESSAGE
    0xb7, 0x82, 0x08, 0xe2, // flags
    0, 0, 0, 0, 0, 0, 0, 0, // DomainNameFields
    0, 0, 0, 0, 0, 0, 0, 0, // WorkstationFields
    10, 0, 0x61, 0x4a, 0, 0, 0, 15, // Version 10.0.19041, NTLM revision 15
];

/// DER: a tag with its content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// The first TSRequest (MS-CSSP 2.2.1): version 6 and one negoToken.
fn ts_request_negotiate() -> Vec<u8> {
    let version = der(0xa0, &der(0x02, &[6]));
    let token = der(0x30, &der(0xa0, &der(0x04, &NTLM_NEGOTIATE)));
    let nego = der(0xa1, &der(0x30, &token));
    der(0x30, &[version, nego].concat())
}

/// Splits one DER element off `data`: (tag, content, rest).
fn der_split(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 3 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |n, b| (n << 8) | *b as usize);
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

fn der_integer(content: &[u8]) -> i64 {
    let mut value: i64 = if content.first().is_some_and(|b| b & 0x80 != 0) {
        -1
    } else {
        0
    };
    for b in content.iter().take(8) {
        value = (value << 8) | *b as i64;
    }
    value
}

/// Reads a TSRequest answer into `report`; returns the NTLM token, when there is one.
pub(crate) fn parse_ts_request<'a>(data: &'a [u8], report: &mut CredsspReport) -> Option<&'a [u8]> {
    let (tag, body, _) = der_split(data)?;
    if tag != 0x30 {
        return None;
    }
    let mut token = None;
    let mut rest = body;
    while let Some((tag, content, next)) = der_split(rest) {
        match tag {
            0xa0 => report.ts_version = der_split(content).map_or(0, |(_, v, _)| der_integer(v)),
            0xa1 => {
                // NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }
                token = der_split(content)
                    .and_then(|(_, list, _)| der_split(list))
                    .and_then(|(_, item, _)| der_split(item))
                    .and_then(|(_, explicit, _)| der_split(explicit))
                    .map(|(_, octets, _)| octets);
            }
            0xa4 => report.error_code = der_split(content).map_or(0, |(_, v, _)| der_integer(v)),
            _ => {}
        }
        rest = next;
    }
    token
}

/// Reads an NTLM CHALLENGE_MESSAGE's target information and version (MS-NLMP 2.2.1.2).
pub(crate) fn parse_challenge(token: &[u8], report: &mut CredsspReport) -> bool {
    if token.len() < 48 || &token[..8] != b"NTLMSSP\0" || token[8] != 2 {
        return false;
    }
    let u16_at = |i: usize| u16::from_le_bytes([token[i], token[i + 1]]) as usize;
    let u32_at = |i: usize| {
        u32::from_le_bytes([token[i], token[i + 1], token[i + 2], token[i + 3]]) as usize
    };
    let flags = u32_at(20);
    if flags & 0x0200_0000 != 0 && token.len() >= 56 {
        let build = u16_at(50);
        report.os_version = format!("{}.{}.{}", token[48], token[49], build);
    }
    let (length, offset) = (u16_at(40), u32_at(44));
    let Some(mut info) = token.get(offset..offset.saturating_add(length)) else {
        return true;
    };
    while info.len() >= 4 {
        let id = u16::from_le_bytes([info[0], info[1]]);
        let len = u16::from_le_bytes([info[2], info[3]]) as usize;
        let Some(value) = info.get(4..4 + len) else {
            break;
        };
        let text = || {
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        };
        match id {
            0 => break,
            1 => report.netbios_computer = text(),
            2 => report.netbios_domain = text(),
            3 => report.dns_computer = text(),
            4 => report.dns_domain = text(),
            5 => report.dns_tree = text(),
            _ => {}
        }
        info = &info[4 + len..];
    }
    true
}

/// Negotiates CredSSP, completes TLS and sends the first CredSSP message (an NTLM
/// NEGOTIATE_MESSAGE, no credentials), then reads the server's challenge: proof that NLA works
/// and the names and version the server announces. Nothing further is sent.
pub async fn credssp_probe(
    host: &str,
    port: u16,
    limits: Limits,
) -> Result<CredsspReport, NetError> {
    let start = Instant::now();
    let deadline = start + limits.timeout;
    let (stream, negotiation) = open_negotiated(host, port, 0x2 | 0x1, deadline).await?;
    match negotiation.answer {
        NegotiationAnswer::Selected { protocol, .. } if protocol & 0xa != 0 => {}
        NegotiationAnswer::Failure { code } => {
            return Err(NetError::new(
                NetErrorKind::NegotiationFailure,
                format!(
                    "the server refused CredSSP with RDP_NEG_FAILURE {} ({code})",
                    failure_name(code)
                ),
            ));
        }
        _ => {
            return Err(NetError::new(
                NetErrorKind::NoCredssp,
                "the server did not select CredSSP (PROTOCOL_HYBRID) when it was offered",
            ));
        }
    }
    let session = tls_handshake(stream, host, deadline, limits.max_bytes, &[]).await?;
    let Some(mut tls) = session.stream else {
        return Err(NetError::new(
            NetErrorKind::Tls,
            session
                .handshake_error
                .unwrap_or_else(|| "the TLS handshake failed".into()),
        ));
    };
    let exchange = async {
        tls.write_all(&ts_request_negotiate())
            .await
            .map_err(|e| NetError::io("the CredSSP request", &e, 0))?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if der_split(&answer).is_some() || answer.len() > 64 * 1024 {
                break;
            }
            let n = tls
                .read(&mut chunk)
                .await
                .map_err(|e| NetError::io("the CredSSP answer", &e, answer.len() as u64))?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&chunk[..n]);
        }
        Ok(answer)
    };
    let answer = bounded(deadline, "the CredSSP request", || 0, exchange).await?;
    let mut report = CredsspReport {
        negotiation: Some(negotiation),
        ..CredsspReport::default()
    };
    if answer.is_empty() {
        return Err(NetError::new(
            NetErrorKind::Closed,
            "the server closed the connection instead of answering the first CredSSP message",
        ));
    }
    let Some(token) = parse_ts_request(&answer, &mut report) else {
        if report.error_code != 0 {
            report.elapsed_ms = millis(start);
            return Ok(report);
        }
        return Err(NetError::new(
            NetErrorKind::Garbage,
            "the server's CredSSP answer is not a TSRequest",
        ));
    };
    report.challenge = parse_challenge(token, &mut report);
    report.elapsed_ms = millis(start);
    Ok(report)
}

fn millis(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

/// The system's trust anchors, read once.
pub(super) fn system_roots() -> Arc<rustls::RootCertStore> {
    static ROOTS: OnceLock<Arc<rustls::RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = rustls::RootCertStore::empty();
            let loaded = rustls_native_certs::load_native_certs();
            for cert in loaded.certs {
                let _ = store.add(cert);
            }
            Arc::new(store)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_does_not_exist_is_told_from_a_resolver_that_does_not_work() {
        for message in [
            "failed to lookup address information: Name or service not known",
            "failed to lookup address information: No address associated with hostname",
            "failed to lookup address information: nodename nor servname provided, or not known",
            "No such host is known. (os error 11001)",
        ] {
            assert_eq!(
                resolver_error_kind(message),
                NetErrorKind::NameNotFound,
                "{message}"
            );
        }
        for message in [
            "failed to lookup address information: Temporary failure in name resolution",
            "failed to lookup address information: System error",
            "failed to lookup address information: Non-recoverable failure in name resolution",
        ] {
            assert_eq!(
                resolver_error_kind(message),
                NetErrorKind::Resolve,
                "{message}"
            );
        }
    }

    #[test]
    fn reads_negotiation_answers() {
        let rsp = [
            0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 0x02, 0x01, 0x08, 0, 0x01, 0, 0, 0,
        ];
        assert_eq!(
            parse_confirm(&rsp).unwrap(),
            NegotiationAnswer::Selected {
                protocol: 1,
                flags: 1
            }
        );
        let failure = [
            0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 0x03, 0x00, 0x08, 0, 0x05, 0, 0, 0,
        ];
        assert_eq!(
            parse_confirm(&failure).unwrap(),
            NegotiationAnswer::Failure { code: 5 }
        );
        let legacy = [0x06, 0xd0, 0, 0, 0x12, 0x34, 0];
        assert_eq!(parse_confirm(&legacy).unwrap(), NegotiationAnswer::Legacy);
        assert_eq!(
            parse_confirm(&[0x06, 0x80, 0, 0, 0, 0, 0])
                .unwrap_err()
                .kind,
            NetErrorKind::Garbage
        );
    }

    #[test]
    fn builds_and_reads_credssp_messages() {
        let request = ts_request_negotiate();
        let mut report = CredsspReport::default();
        let token = parse_ts_request(&request, &mut report).expect("a negoToken");
        assert_eq!(token, NTLM_NEGOTIATE);
        assert_eq!(report.ts_version, 6);
        // A CHALLENGE_MESSAGE with version 10.0.17763 and the NetBIOS computer name "RDP".
        let mut challenge = b"NTLMSSP\0\x02\0\0\0".to_vec();
        challenge.extend_from_slice(&[0; 8]); // TargetNameFields
        challenge.extend_from_slice(&0x0200_0000u32.to_le_bytes()); // flags: version
        challenge.extend_from_slice(&[0; 16]); // challenge, reserved
        challenge.extend_from_slice(&[14, 0, 14, 0, 56, 0, 0, 0]); // TargetInfoFields
        challenge.extend_from_slice(&[10, 0, 0x03, 0x45, 0, 0, 0, 15]); // version
        challenge.extend_from_slice(&[1, 0, 6, 0, b'R', 0, b'D', 0, b'P', 0, 0, 0, 0, 0]);
        assert!(parse_challenge(&challenge, &mut report));
        assert_eq!(report.os_version, "10.0.17667");
        assert_eq!(report.netbios_computer, "RDP");
    }

    #[test]
    fn names_protocols() {
        assert_eq!(protocol_names(0), "PROTOCOL_RDP");
        assert_eq!(protocol_names(3), "PROTOCOL_SSL|PROTOCOL_HYBRID");
        assert_eq!(parse_protocols("ssl|HYBRID_EX").unwrap(), 9);
        assert_eq!(parse_protocols("rdp").unwrap(), 0);
        assert!(parse_protocols("tls").is_err());
    }

    #[test]
    fn splits_hosts_and_urls() {
        assert_eq!(split_host_port("h:3390", 3389).unwrap(), ("h".into(), 3390));
        assert_eq!(
            split_host_port("[::1]:33", 3389).unwrap(),
            ("::1".into(), 33)
        );
        assert_eq!(split_host_port("::1", 3389).unwrap(), ("::1".into(), 3389));
        assert!(split_host_port("h:99999", 3389).is_err());
        let url = GatewayUrl::parse("https://gw.example.com:8443").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("gw.example.com", 8443, "/remoteDesktopGateway/")
        );
        assert!(GatewayUrl::parse("http://gw").is_err());
    }
}
