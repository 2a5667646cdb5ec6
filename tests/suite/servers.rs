//! In-process test servers on 127.0.0.1: RDP negotiation and TLS with rcgen certificates, and
//! hostile peers (garbage, silence, a drip, a flood, an immediate close).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the RDP server answers the Connection Request.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// Like xrdp in negotiate mode: PROTOCOL_SSL when SSL is requested, else PROTOCOL_RDP.
    SslWhenAsked,
    /// Always RDP_NEG_RSP with this protocol.
    Select(u32),
    /// Like a server requiring NLA: HYBRID when asked, else HYBRID_REQUIRED_BY_SERVER (5).
    RequireHybrid,
    /// Always RDP_NEG_FAILURE with this code.
    Fail(u32),
    /// A Connection Confirm without negotiation data.
    Legacy,
}

/// What a test server does with each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Negotiates, then speaks TLS with this configuration when a TLS protocol was selected.
    Rdp(Answer, Option<Arc<rustls::ServerConfig>>),
    /// Negotiates PROTOCOL_SSL, then answers the ClientHello with a TLS 1.0 ServerHello.
    Tls10Only,
    /// Answers the request with bytes that are not TPKT.
    Garbage,
    /// Accepts and never answers.
    Silent,
    /// Sends a valid answer one byte per second.
    Drip,
    /// Negotiates PROTOCOL_SSL, then sends 100 MB of TLS-looking records.
    Flood,
    /// Closes each connection at once.
    CloseAtOnce,
    /// An HTTPS server answering every request with this status (401 adds the
    /// WWW-Authenticate headers of an RD Gateway).
    Https(u16, Arc<rustls::ServerConfig>),
}

/// Starts a server on 127.0.0.1 on its own thread (it lives as long as the test process) and
/// returns its port.
pub fn start(behaviour: Behaviour) -> u16 {
    start_on(Ipv4Addr::LOCALHOST.into(), behaviour)
}

/// As [`start`], on a loopback address of choice (`::1` for IPv6).
pub fn start_on(address: std::net::IpAddr, behaviour: Behaviour) -> u16 {
    assert!(
        address.is_loopback(),
        "test servers listen on loopback only"
    );
    let std_listener = std::net::TcpListener::bind((address, 0)).expect("bind loopback");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let port = std_listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(std_listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let behaviour = behaviour.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, behaviour).await;
                });
            }
        });
    });
    port
}

/// A port on 127.0.0.1 where nothing listens.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    listener.local_addr().expect("address").port()
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<u32> {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).await?;
    let length = u16::from_be_bytes([header[2], header[3]]) as usize;
    let mut body = vec![0u8; length.saturating_sub(4)];
    stream.read_exact(&mut body).await?;
    Ok(body
        .get(11..15)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0))
}

fn confirm(kind: u8, flags: u8, value: u32) -> Vec<u8> {
    let mut pdu = vec![0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0];
    pdu.extend_from_slice(&[kind, flags, 0x08, 0x00]);
    pdu.extend_from_slice(&value.to_le_bytes());
    pdu
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour) -> std::io::Result<()> {
    if matches!(behaviour, Behaviour::CloseAtOnce) {
        return Ok(());
    }
    if let Behaviour::Https(status, config) = &behaviour {
        let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
        let mut tls = acceptor.accept(stream).await?;
        let mut request = Vec::new();
        let mut buffer = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tls.read(&mut buffer).await?;
            if n == 0 {
                return Ok(());
            }
            request.extend_from_slice(&buffer[..n]);
        }
        let headers = if *status == 401 {
            "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nWWW-Authenticate: Basic realm=\"gw\"\r\n"
        } else {
            ""
        };
        let response = format!(
            "HTTP/1.1 {status} Test\r\n{headers}Server: Microsoft-HTTPAPI/2.0\r\nContent-Length: 0\r\n\r\n"
        );
        tls.write_all(response.as_bytes()).await?;
        tls.shutdown().await?;
        return Ok(());
    }
    if matches!(behaviour, Behaviour::Silent) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Ok(());
    }
    let requested = read_request(&mut stream).await?;
    match behaviour {
        Behaviour::Rdp(answer, tls) => {
            let (pdu, selected) = match answer {
                Answer::SslWhenAsked => {
                    let selected = requested & 1;
                    (confirm(2, 1, selected), selected)
                }
                Answer::Select(protocol) => (confirm(2, 1, protocol), protocol),
                Answer::RequireHybrid if requested & 2 != 0 => (confirm(2, 3, 2), 2),
                Answer::RequireHybrid => (confirm(3, 0, 5), 0),
                Answer::Fail(code) => (confirm(3, 0, code), 0),
                Answer::Legacy => (
                    vec![0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0, 0, 0x12, 0x34, 0],
                    0,
                ),
            };
            stream.write_all(&pdu).await?;
            if let (Some(config), true) = (tls, selected != 0) {
                let acceptor = tokio_rustls::TlsAcceptor::from(config);
                let mut tls = acceptor.accept(stream).await?;
                let mut buffer = [0u8; 512];
                let read =
                    tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buffer)).await;
                if selected == 2 && matches!(read, Ok(Ok(n)) if n > 0) {
                    tls.write_all(&ts_request_challenge()).await?;
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buffer)).await;
                }
            }
        }
        Behaviour::Tls10Only => {
            stream.write_all(&confirm(2, 1, 1)).await?;
            let mut hello = [0u8; 5];
            stream.read_exact(&mut hello).await?;
            let length = u16::from_be_bytes([hello[3], hello[4]]) as usize;
            let mut rest = vec![0u8; length];
            stream.read_exact(&mut rest).await?;
            // ServerHello: version 3.1, 32 random bytes, no session id,
            // TLS_RSA_WITH_AES_128_CBC_SHA, no compression.
            let mut body = vec![0x03, 0x01];
            body.extend_from_slice(&[7u8; 32]);
            body.extend_from_slice(&[0x00, 0x00, 0x2f, 0x00]);
            let mut handshake = vec![0x02, 0x00, 0x00, body.len() as u8];
            handshake.extend_from_slice(&body);
            let mut record = vec![0x16, 0x03, 0x01, 0x00, handshake.len() as u8];
            record.extend_from_slice(&handshake);
            stream.write_all(&record).await?;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Behaviour::Garbage => {
            stream
                .write_all(b"\x00\xffnot an RDP server at all\r\n")
                .await?;
        }
        Behaviour::Drip => {
            for byte in confirm(2, 1, 1) {
                stream.write_all(&[byte]).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Behaviour::Flood => {
            stream.write_all(&confirm(2, 1, 1)).await?;
            let mut record = vec![0x16, 0x03, 0x03, 0x40, 0x00];
            record.resize(5 + 0x4000, 0x41);
            for _ in 0..(100 * 1024 * 1024 / record.len()) {
                stream.write_all(&record).await?;
            }
        }
        Behaviour::CloseAtOnce | Behaviour::Silent | Behaviour::Https(..) => {}
    }
    Ok(())
}

/// DER with a short length (every element here is under 128 bytes).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag, content.len() as u8];
    out.extend_from_slice(content);
    out
}

/// A TSRequest (version 6) carrying an NTLM CHALLENGE_MESSAGE from the computer TESTHOST, version
/// 10.0.20348.
fn ts_request_challenge() -> Vec<u8> {
    let name: Vec<u8> = "TESTHOST"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut info = vec![1, 0, name.len() as u8, 0];
    info.extend_from_slice(&name);
    info.extend_from_slice(&[0, 0, 0, 0]);
    let mut token = b"NTLMSSP\0\x02\0\0\0".to_vec();
    token.extend_from_slice(&[0, 0, 0, 0, 56, 0, 0, 0]); // TargetNameFields
    token.extend_from_slice(&0x0200_0000u32.to_le_bytes()); // flags: version present
    token.extend_from_slice(&[0x11; 8]); // server challenge
    token.extend_from_slice(&[0; 8]);
    let length = info.len() as u8;
    token.extend_from_slice(&[length, 0, length, 0, 56, 0, 0, 0]); // TargetInfoFields
    token.extend_from_slice(&[10, 0, 0x3c, 0x4f, 0, 0, 0, 15]); // version 10.0.20284
    token.extend_from_slice(&info);
    let version = der(0xa0, &der(0x02, &[6]));
    let nego = der(0xa1, &der(0x30, &der(0x30, &der(0xa0, &der(0x04, &token)))));
    der(0x30, &[version, nego].concat())
}

/// The kinds of test certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cert {
    /// Issued by a test authority for localhost, 127.0.0.1 and ::1, valid for a year.
    Valid,
    /// As `Valid`, but ending in 10 days.
    ExpiresSoon,
    /// Self-signed, otherwise valid.
    SelfSigned,
    /// Valid from 2020-01-01 to 2021-01-01.
    Expired,
    /// Valid from 2090 on.
    NotYetValid,
    /// Issued to wrong-host.example.invalid only.
    WrongName,
    /// Extended key usage Client Authentication only.
    NoServerAuth,
}

/// A TLS server configuration presenting a certificate of that kind.
pub fn tls_config(kind: Cert) -> Arc<rustls::ServerConfig> {
    let key = KeyPair::generate().expect("key");
    let names = if kind == Cert::WrongName {
        vec!["wrong-host.example.invalid".to_string()]
    } else {
        vec!["localhost".to_string()]
    };
    let mut params = CertificateParams::new(names.clone()).expect("params");
    if kind != Cert::WrongName {
        params
            .subject_alt_names
            .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
        params
            .subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
    }
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].clone());
    let now = ::time::OffsetDateTime::now_utc();
    params.not_before = now - ::time::Duration::days(1);
    params.not_after = now + ::time::Duration::days(365);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    match kind {
        Cert::Expired => {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        Cert::NotYetValid => {
            params.not_before = rcgen::date_time_ymd(2090, 1, 1);
            params.not_after = rcgen::date_time_ymd(2091, 1, 1);
        }
        Cert::ExpiresSoon => {
            params.not_after = now + ::time::Duration::days(10);
        }
        Cert::NoServerAuth => {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        _ => {}
    }
    let chain: Vec<CertificateDer<'static>> = if kind == Cert::SelfSigned {
        vec![params.self_signed(&key).expect("self-signed").der().clone()]
    } else {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.distinguished_name
            .push(DnType::CommonName, "rdp-doctor test authority");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_der = ca.self_signed(&ca_key).expect("CA").der().clone();
        let issuer = Issuer::new(ca, ca_key);
        let leaf = params.signed_by(&key, &issuer).expect("leaf");
        vec![leaf.der().clone(), ca_der]
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::Pkcs8(key.serialize_der().into()))
        .expect("server config");
    Arc::new(config)
}
