//! Extraction over real-world spellings (tests/fixtures/extract/spellings.yaml): every case is
//! a verbatim snippet from a cited source with the codes that must be found.

use rdp_doctor::catalog::Knowledge;
use rdp_doctor::extract::Extractor;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    text: String,
    source: String,
    lang: String,
    expect: Vec<Expected>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Expected {
    code: String,
    role: String,
    family: Option<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(super::fixture("extract/spellings.yaml")).expect("fixture");
    serde_yaml::from_str(&text).expect("spellings.yaml parses")
}

#[test]
fn real_world_spellings_are_extracted() {
    let knowledge = Knowledge::embedded();
    let extractor = Extractor::new(&knowledge);
    let cases = cases();
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        assert!(
            case.source.starts_with("http") || case.source.contains("lab"),
            "case {n} cites no source"
        );
        let extraction = extractor.extract(&case.text);
        let got: Vec<(String, String, Option<String>)> = extraction
            .codes
            .iter()
            .map(|c| {
                (
                    c.code.to_string(),
                    c.role.as_str().to_string(),
                    c.family().map(|f| f.as_str().to_string()),
                )
            })
            .collect();
        let matches = got.len() == case.expect.len()
            && got.iter().zip(&case.expect).all(|(g, e)| {
                g.0 == e.code
                    && g.1 == e.role
                    && e.family.as_ref().is_none_or(|f| g.2.as_ref() == Some(f))
            });
        if !matches {
            let want: Vec<String> = case
                .expect
                .iter()
                .map(|e| {
                    format!(
                        "{} {}{}",
                        e.code,
                        e.role,
                        e.family
                            .as_ref()
                            .map(|f| format!(" {f}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            let have: Vec<String> = got
                .iter()
                .map(|g| format!("{} {} {}", g.0, g.1, g.2.as_deref().unwrap_or("-")))
                .collect();
            failures.push(format!(
                "case {} ({}, {}):\n  text: {:?}\n  want: {want:?}\n  got:  {have:?}",
                n + 1,
                case.lang,
                case.source,
                case.text.chars().take(160).collect::<String>()
            ));
        }
    }
    assert!(
        cases.len() >= 50,
        "at least 50 real spellings, found {}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} spellings failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn spellings_cover_eight_languages() {
    let cases = cases();
    for lang in ["en", "de", "fr", "es", "it", "pt", "ja", "zh"] {
        assert!(
            cases.iter().any(|c| c.lang == lang),
            "no spelling in {lang}"
        );
    }
}

#[test]
fn a_dialog_without_its_code_and_with_a_typo_is_still_recognised() {
    // The 0x204 dialog as users retype it: no code, list items on one line, "avilable".
    // Source of the wording: https://github.com/sebaxakerhtc/rdpwrap.ini/issues/305
    let knowledge = Knowledge::embedded();
    let extractor = Extractor::new(&knowledge);
    let text = "Remote Desktop can't connect to the remote computer for one of these reasons: 1) Remote access to the server is not enabled 2) The remote computer is turned off 3) The remote computer is not avilable on the network";
    let extraction = extractor.extract(text);
    assert!(extraction.codes.is_empty());
    let keys: Vec<&str> = extraction.messages.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["disconnect:0x204"]);
}

#[test]
fn a_generic_sentence_alone_recognises_no_message() {
    let knowledge = Knowledge::embedded();
    let extractor = Extractor::new(&knowledge);
    let extraction = extractor.extract("Please try connecting to the remote computer again.");
    assert!(extraction.messages.is_empty(), "{:?}", extraction.messages);
}

#[test]
fn a_number_after_a_name_is_a_code_only_after_an_error_name_standing_alone() {
    let knowledge = Knowledge::embedded();
    let extractor = Extractor::new(&knowledge);
    let codes = |text: &str| -> Vec<String> {
        let extraction = extractor.extract(text);
        extraction
            .codes
            .iter()
            .map(|c| c.code.to_string())
            .collect()
    };
    assert_eq!(codes("SocketConnectionTimedOut (1796)"), ["0x704"]);
    // An event source and its event ID, a process and its ID, a short word: no code.
    for text in [
        "Microsoft-Windows-TerminalServices-LocalSessionManager (21)",
        "C:\\Windows\\System32\\RemoteDesktopServices (4321)",
        "RdpCoreTS (131)",
        "Connection (3)",
    ] {
        assert!(codes(text).is_empty(), "{text}: {:?}", codes(text));
    }
}

#[test]
fn the_word_error_is_read_in_any_case_and_in_more_languages() {
    // mRemoteNG-style "Error 2308" in the spellings of the languages rdp-doctor reads, as users
    // type them in capitals or inflected ("hatası", "ошибки").
    let knowledge = Knowledge::embedded();
    let extractor = Extractor::new(&knowledge);
    for text in [
        "FEHLER 2308 beim Verbinden",
        "ERREUR 2308",
        "ОШИБКА 2308",
        "код ошибки 2308",
        "Błąd 2308 podczas łączenia",
        "Bağlantı hatası 2308",
        "fout 2308",
    ] {
        let codes: Vec<(String, &str)> = extractor
            .extract(text)
            .codes
            .iter()
            .map(|c| (c.code.to_string(), c.role.as_str()))
            .collect();
        assert_eq!(codes, [("0x904".to_string(), "error")], "{text}");
    }
}

mod properties {
    //! Extraction, for any code of the catalog, amid random text: a labelled code in any
    //! documented hex spelling, a symbol, a decimal disconnect reason, an event ID.

    use proptest::prelude::*;
    use rdp_doctor::catalog::{Family, Knowledge};
    use rdp_doctor::extract::{Extraction, Extractor, Role};
    use std::sync::LazyLock;

    static KNOWLEDGE: LazyLock<Knowledge> = LazyLock::new(Knowledge::embedded);
    static EXTRACTOR: LazyLock<Extractor<'static>> = LazyLock::new(|| Extractor::new(&KNOWLEDGE));

    /// The catalog's codes of `family` (with their symbols, when `symbols` is set: only codes
    /// that have one).
    fn codes(family: Option<Family>, symbols: bool) -> Vec<(Family, u32, String)> {
        KNOWLEDGE
            .catalog
            .entries()
            .iter()
            .filter(|e| family.is_none_or(|f| e.family == f))
            .filter(|e| !symbols || e.symbol.is_some())
            .filter_map(|e| Some((e.family, e.code?.0, e.symbol.clone().unwrap_or_default())))
            .collect()
    }

    static SYMBOLS: LazyLock<Vec<(Family, u32, String)>> = LazyLock::new(|| codes(None, true));
    static DISCONNECT: LazyLock<Vec<(Family, u32, String)>> =
        LazyLock::new(|| codes(Some(Family::DisconnectReason), false));
    static EVENTS: LazyLock<Vec<(Family, u32, String)>> =
        LazyLock::new(|| codes(Some(Family::EventId), false));

    /// The spellings of a code that dialogs and logs write.
    fn spell(code: u32, spelling: usize) -> String {
        match spelling {
            0 => format!("{code:#x}"),
            1 => format!("0X{code:08X}"),
            2 => format!("0x{code:08x}"),
            _ => format!("0x{:04x}_{:04x}", code >> 16, code & 0xffff),
        }
    }

    /// What was found, for a failure message.
    fn found(extraction: &Extraction) -> Vec<(u32, Role, Vec<Family>)> {
        extraction
            .codes
            .iter()
            .map(|c| (c.code.0, c.role, c.readings.clone()))
            .collect()
    }

    /// Random words and punctuation around a code: no digits, so no other code.
    const NOISE: &str = "[a-zA-Z ,.;!?\n]{0,60}";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn a_labelled_code_is_found_in_any_spelling_amid_noise(
            code in 1u32..=0x7fff_ffff,
            spelling in 0usize..4,
            extended in any::<bool>(),
            before in NOISE,
            after in NOISE,
        ) {
            let label = if extended { "Extended error code: " } else { "Error code: " };
            let text = format!("{before} \n{label}{}.\n {after}", spell(code, spelling));
            let extraction = EXTRACTOR.extract(&text);
            let role = if extended { Role::Extended } else { Role::Error };
            prop_assert!(
                extraction.codes.iter().any(|c| c.code.0 == code && c.role == role),
                "{:#x} as {:?} not found in {:?}: {:?}", code, role, text, found(&extraction)
            );
        }

        #[test]
        fn a_catalog_symbol_is_found_as_its_code_amid_noise(
            index in any::<prop::sample::Index>(),
            before in NOISE,
            after in NOISE,
        ) {
            let (family, code, symbol) = index.get(&SYMBOLS);
            let text = format!("{before} {symbol} {after}");
            let extraction = EXTRACTOR.extract(&text);
            prop_assert!(
                extraction.codes.iter().any(|c| c.code.0 == *code && c.readings.contains(family)),
                "{symbol} ({family:?} {code:#x}) not found in {text:?}: {:?}", found(&extraction)
            );
        }

        #[test]
        fn a_decimal_disconnect_reason_after_its_label_is_found(
            index in any::<prop::sample::Index>(),
            before in NOISE,
            after in NOISE,
        ) {
            let (_, code, _) = index.get(&DISCONNECT);
            let text = format!("{before}\nError code: {code}\n{after}");
            let extraction = EXTRACTOR.extract(&text);
            prop_assert!(
                extraction.codes.iter().any(|c| c.code.0 == *code && c.role == Role::Error
                    && c.readings.first() == Some(&Family::DisconnectReason)),
                "{code} not found as a disconnect reason in {text:?}: {:?}", found(&extraction)
            );
        }

        #[test]
        fn an_event_id_in_decimal_is_found_as_an_event(
            index in any::<prop::sample::Index>(),
            label in prop::sample::select(vec!["Event ID: ", "EventID ", "event "]),
            before in NOISE,
            after in NOISE,
        ) {
            let (_, code, _) = index.get(&EVENTS);
            let text = format!("{before}\n{label}{code}\n{after}");
            let extraction = EXTRACTOR.extract(&text);
            prop_assert!(
                extraction.codes.iter().any(|c| c.code.0 == *code && c.role == Role::EventId
                    && c.readings.contains(&Family::EventId)),
                "{code} not found as an event ID in {text:?}: {:?}", found(&extraction)
            );
        }
    }
}

/// Every message the catalog knows, pasted alone, names its own entry: a message a program
/// prints is of no use if rdp-doctor does not recognise it. The exceptions are messages that
/// are too short or too common to name anything on their own ("Access is denied.", "Connection
/// timed out."); their number is held at the measured value.
#[test]
fn every_catalog_message_pasted_alone_names_its_entry() {
    const UNRECOGNISED_AT_MOST: usize = 188;
    let knowledge = Knowledge::embedded();
    let extractor = Extractor::new(&knowledge);
    let placeholder = regex::Regex::new(r"\{[a-z_]+\}").expect("regex");
    let mut total = 0;
    let mut unrecognised = Vec::new();
    for entry in knowledge.catalog.entries() {
        let key = entry.key();
        for (lang, texts) in &entry.messages {
            for text in texts {
                total += 1;
                let paste = placeholder.replace_all(text, "srv-01");
                let found = extractor.extract(&paste);
                let by_message = found.messages.iter().any(|m| m.key == key);
                let by_code = entry.code.is_some_and(|code| {
                    found
                        .codes
                        .iter()
                        .any(|c| c.code == code && c.readings.contains(&entry.family))
                });
                if !by_message && !by_code {
                    unrecognised.push(format!("{key} ({lang}): {text}"));
                }
            }
        }
    }
    eprintln!(
        "{} of {total} catalog messages pasted alone are not recognised:",
        unrecognised.len()
    );
    for line in &unrecognised {
        eprintln!("  {line}");
    }
    assert!(total > 3000, "the catalog lost messages: {total}");
    assert!(
        unrecognised.len() <= UNRECOGNISED_AT_MOST,
        "{} catalog messages are not recognised (at most {UNRECOGNISED_AT_MOST})",
        unrecognised.len()
    );
}

/// Messages that share most of their words with other entries are told apart by the rest:
/// a short clause next to a shared sentence, or shared sentences that only one message has
/// together. Neither part alone names anything.
#[test]
fn shared_sentences_and_short_clauses_name_a_message_together() {
    let knowledge = Knowledge::embedded();
    let extractor = Extractor::new(&knowledge);
    let keys = |text: &str| -> Vec<String> {
        extractor
            .extract(text)
            .messages
            .into_iter()
            .map(|m| m.key)
            .collect()
    };
    // Remmina's dialog: a prefix every Remmina access error shares, and two words of its own.
    assert_eq!(
        keys("Could not access the RDP server \"srv-01\".\nAccount expired."),
        ["remmina:rdp-account-expired"]
    );
    assert_eq!(
        keys("Не удался доступ к RDP серверу \"srv-01\".\nИстёк срок учётной записи."),
        ["remmina:rdp-account-expired"]
    );
    assert!(keys("Account expired.").is_empty());
    assert!(keys("Could not access the RDP server \"srv-01\".").is_empty());
    // mstsc's time-out dialog: both of its sentences open or close other dialogs too.
    let timeout = "This computer can't connect to the remote computer. Try connecting again.";
    assert_eq!(keys(timeout), ["disconnect:0x704"]);
    assert!(
        !keys("This computer can't connect to the remote computer.")
            .contains(&"disconnect:0x704".to_string())
    );
    // A program's identifiers are distinctive even in a short line.
    assert_eq!(
        keys("xrdp-sesman: pam_acct_mgmt failed: Permission denied").len(),
        1
    );
}
