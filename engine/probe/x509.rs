//! Facts about a server certificate: validity, names, key, signature, usage and trust.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use ::time::OffsetDateTime;
use ::time::format_description::well_known::Rfc3339;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::*;

/// Days before expiry from which a certificate counts as expiring soon.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// OID of the Remote Desktop Authentication EKU, which RDP accepts in place of Server
/// Authentication.
const RDP_AUTH_EKU: &str = "1.3.6.1.4.1.311.54.1.2";

/// What a certificate says, read for a probe. Every field has a value, so probe scripts and
/// rule expressions can use any of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CertificateFacts {
    /// Subject distinguished name (`CN=host.example.com`).
    pub subject: String,
    /// The subject's common name.
    pub common_name: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex with colons.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: i64,
    /// `not_after` has passed.
    pub expired: bool,
    /// `not_before` is still to come.
    pub not_yet_valid: bool,
    /// Valid now, but for fewer than 30 more days.
    pub expires_soon: bool,
    /// Issuer equals subject and the certificate's own key verifies its signature.
    pub self_signed: bool,
    /// DNS names of the Subject Alternative Name.
    pub dns_names: Vec<String>,
    /// IP addresses of the Subject Alternative Name.
    pub ip_addresses: Vec<String>,
    /// The host probed.
    pub host: String,
    /// The certificate names the host probed (IP SANs for an address; DNS SANs, with
    /// wildcards, else the CN, for a name).
    pub name_matches: bool,
    /// `RSA`, `EC`, `DSA`, ...
    pub key_algorithm: String,
    /// Key size in bits.
    pub key_bits: i64,
    /// RSA or DSA under 2048 bits, EC under 256 bits.
    pub weak_key: bool,
    /// Signature algorithm (`sha256WithRSAEncryption`).
    pub signature_algorithm: String,
    /// Signed with SHA-1 or MD5.
    pub weak_signature: bool,
    /// Extended key usages, by name or OID; empty when the extension is absent.
    pub eku: Vec<String>,
    /// Usable for server authentication: no EKU extension, or Server Authentication, Any
    /// Purpose or Remote Desktop Authentication listed.
    pub server_auth_eku: bool,
    /// SHA-1 thumbprint as Windows shows it (`SSLCertificateSHA1Hash`), upper-case hex.
    pub sha1_thumbprint: String,
    /// SHA-256 fingerprint, upper-case hex.
    pub sha256_fingerprint: String,
    /// Why the certificate could not be read, when it could not.
    pub parse_error: Option<String>,
}

impl CertificateFacts {
    /// Reads `der` as seen when connecting to `host`.
    pub fn from_der(der: &[u8], host: &str) -> CertificateFacts {
        Self::from_der_at(der, host, now_unix())
    }

    /// As [`CertificateFacts::from_der`], at the Unix time `now`.
    pub fn from_der_at(der: &[u8], host: &str, now: i64) -> CertificateFacts {
        let mut facts = CertificateFacts {
            host: host.to_string(),
            sha1_thumbprint: hex_digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der),
            sha256_fingerprint: hex_digest(&ring::digest::SHA256, der),
            ..CertificateFacts::default()
        };
        let cert = match X509Certificate::from_der(der) {
            Ok((_, cert)) => cert,
            Err(error) => {
                facts.parse_error = Some(format!("the certificate cannot be parsed: {error}"));
                return facts;
            }
        };
        facts.subject = cert.subject().to_string();
        facts.issuer = cert.issuer().to_string();
        facts.common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .unwrap_or_default()
            .to_string();
        facts.serial = cert.raw_serial_as_string();
        let validity = cert.validity();
        let (start, end) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        facts.not_before = rfc3339(start);
        facts.not_after = rfc3339(end);
        facts.days_left = (end - now).div_euclid(86_400);
        facts.expired = now > end;
        facts.not_yet_valid = now < start;
        facts.expires_soon = !facts.expired && facts.days_left < EXPIRY_WARNING_DAYS;
        facts.self_signed = cert.subject().as_raw() == cert.issuer().as_raw()
            && cert.verify_signature(None).is_ok();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => facts.dns_names.push(dns.to_string()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            facts.ip_addresses.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        facts.name_matches = names_host(&facts, host);
        let key = cert.public_key();
        facts.key_algorithm = match key.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(_)) => "RSA",
            Ok(x509_parser::public_key::PublicKey::EC(_)) => "EC",
            Ok(x509_parser::public_key::PublicKey::DSA(_)) => "DSA",
            Ok(_) => "other",
            Err(_) => "unreadable",
        }
        .to_string();
        if key.algorithm.algorithm.to_id_string() == "1.3.101.112" {
            facts.key_algorithm = "Ed25519".into();
        }
        facts.key_bits = key.parsed().map(|k| k.key_size() as i64).unwrap_or(0);
        if facts.key_algorithm == "Ed25519" {
            facts.key_bits = 256;
        }
        facts.weak_key = match facts.key_algorithm.as_str() {
            "RSA" | "DSA" => facts.key_bits < 2048,
            "EC" => facts.key_bits < 256,
            _ => false,
        };
        let registry = x509_parser::objects::oid_registry();
        let oid = &cert.signature_algorithm.algorithm;
        facts.signature_algorithm = x509_parser::objects::oid2sn(oid, registry)
            .map(str::to_string)
            .unwrap_or_else(|_| oid.to_id_string());
        let lower = facts.signature_algorithm.to_ascii_lowercase();
        facts.weak_signature =
            lower.contains("sha1") || lower.contains("md5") || lower.contains("md2");
        match cert.extended_key_usage() {
            Ok(Some(eku)) => {
                let usage = eku.value;
                let named = [
                    (usage.any, "anyExtendedKeyUsage"),
                    (usage.server_auth, "serverAuth"),
                    (usage.client_auth, "clientAuth"),
                    (usage.code_signing, "codeSigning"),
                    (usage.email_protection, "emailProtection"),
                    (usage.time_stamping, "timeStamping"),
                    (usage.ocsp_signing, "OCSPSigning"),
                ];
                facts.eku = named
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| n.to_string())
                    .collect();
                let others: Vec<String> = usage.other.iter().map(|o| o.to_id_string()).collect();
                let rdp = others.iter().any(|o| o == RDP_AUTH_EKU);
                facts.eku.extend(others);
                facts.server_auth_eku = usage.any || usage.server_auth || rdp;
            }
            Ok(None) => facts.server_auth_eku = true,
            Err(_) => facts.server_auth_eku = false,
        }
        facts
    }
}

/// The certificate's names against `host`.
fn names_host(facts: &CertificateFacts, host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        // Without subject alternative names, the common name is the name (`CN=127.0.0.1`).
        let no_alternative_names = facts.ip_addresses.is_empty() && facts.dns_names.is_empty();
        let common_name = std::slice::from_ref(&facts.common_name);
        let names = if no_alternative_names {
            common_name
        } else {
            &facts.ip_addresses[..]
        };
        return names.iter().any(|a| a.parse::<IpAddr>().ok() == Some(ip));
    }
    let host = bare.trim_end_matches('.').to_ascii_lowercase();
    let names: Vec<&str> = if facts.dns_names.is_empty() {
        vec![facts.common_name.as_str()]
    } else {
        facts.dns_names.iter().map(String::as_str).collect()
    };
    names.iter().any(|name| dns_name_matches(name, &host))
}

/// `*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com`.
fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == host,
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}

fn hex_digest(algorithm: &'static ring::digest::Algorithm, data: &[u8]) -> String {
    ring::digest::digest(algorithm, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The current Unix time in seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A Unix time as RFC 3339 (`2021-01-01T00:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| seconds.to_string())
}

/// Whether the system's trust store accepts a chain for a name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TrustVerdict {
    /// The chain verifies against the system's trust anchors for the host name.
    pub trusted: bool,
    /// `unknown_issuer`, `expired`, `not_valid_yet`, `name_mismatch`, `bad_usage`,
    /// `no_trust_store`, `other`; empty when trusted.
    pub reason: String,
    /// The verifier's own words.
    pub detail: String,
}

/// Verifies the chain against the system's trust anchors, as a client that trusts the
/// operating system's store would.
pub fn system_trust(
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    name: &ServerName<'_>,
) -> TrustVerdict {
    let roots = super::net::system_roots();
    if roots.is_empty() {
        return TrustVerdict {
            trusted: false,
            reason: "no_trust_store".into(),
            detail: "the system has no trust anchors to check against".into(),
        };
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match WebPkiServerVerifier::builder_with_provider(roots, provider).build() {
        Ok(v) => v,
        Err(error) => {
            return TrustVerdict {
                trusted: false,
                reason: "other".into(),
                detail: error.to_string(),
            };
        }
    };
    use rustls::client::danger::ServerCertVerifier;
    match verifier.verify_server_cert(end_entity, intermediates, name, &[], UnixTime::now()) {
        Ok(_) => TrustVerdict {
            trusted: true,
            reason: String::new(),
            detail: String::new(),
        },
        Err(error) => {
            use rustls::CertificateError as E;
            let reason = match &error {
                rustls::Error::InvalidCertificate(cert) => match cert {
                    E::UnknownIssuer => "unknown_issuer",
                    E::Expired | E::ExpiredContext { .. } => "expired",
                    E::NotValidYet | E::NotValidYetContext { .. } => "not_valid_yet",
                    E::NotValidForName | E::NotValidForNameContext { .. } => "name_mismatch",
                    E::InvalidPurpose | E::InvalidPurposeContext { .. } => "bad_usage",
                    _ => "other",
                },
                _ => "other",
            };
            TrustVerdict {
                trusted: false,
                reason: reason.into(),
                detail: error.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_dns_names() {
        assert!(dns_name_matches("*.example.com", "rdp.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "a.rdp.example.com"));
        assert!(dns_name_matches("Host.Example.com.", "host.example.com"));
    }

    #[test]
    fn an_address_matches_the_common_name_only_without_alternative_names() {
        let only_cn = CertificateFacts {
            common_name: "127.0.0.1".into(),
            ..CertificateFacts::default()
        };
        assert!(names_host(&only_cn, "127.0.0.1"));
        assert!(!names_host(&only_cn, "127.0.0.2"));
        let with_san = CertificateFacts {
            ip_addresses: vec!["10.0.0.5".into()],
            ..only_cn.clone()
        };
        assert!(!names_host(&with_san, "127.0.0.1"));
        assert!(names_host(&with_san, "10.0.0.5"));
    }

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339(1_609_459_200), "2021-01-01T00:00:00Z");
    }
}
