//! `explain`: what a code or symbol means, in every family that defines it.

use super::*;

/// One reading of an explained code.
#[derive(Debug, Serialize)]
pub(super) struct Explanation<'a> {
    code: String,
    family: &'a str,
    family_label: &'a str,
    applies: &'a str,
    symbol: Option<&'a str>,
    name: &'a str,
    meaning: &'a str,
    category: &'a str,
    check_first: Option<String>,
    aliases: &'a [String],
    messages: &'a indexmap::IndexMap<String, Vec<String>>,
    note: Option<&'a str>,
    read_as: String,
    rules: Vec<String>,
    references: &'a [crate::catalog::Reference],
}

pub(super) fn explain(knowledge: &Knowledge, args: &ExplainArgs) -> u8 {
    let query = args.code.trim();
    let readings = match lookup(knowledge, query) {
        Ok(readings) => readings,
        Err(message) => return fail(&message),
    };
    if readings.is_empty() {
        let _ = writeln!(
            std::io::stdout(),
            "The catalog does not define `{query}` in any family. Try the hex form (0x...), a family prefix (disconnect:, extended:, errinfo:, errconnect:, gateway:, avd:, event:) or a symbol."
        );
        return EXIT_NO_MATCH;
    }
    let explanations: Vec<Explanation> = readings
        .iter()
        .map(|(entry, read_as)| Explanation {
            code: entry.display_code(),
            family: entry.family.as_str(),
            family_label: entry.family.label(),
            applies: entry.family.reading(),
            symbol: entry.symbol.as_deref(),
            name: &entry.name,
            meaning: entry.meaning.trim(),
            category: entry.category.unwrap_or(Category::Other).as_str(),
            check_first: crate::render::check_first_text(entry),
            aliases: &entry.aliases,
            messages: &entry.messages,
            note: entry.note.as_deref(),
            read_as: read_as.clone(),
            rules: knowledge
                .rules_explaining(entry)
                .map(|r| r.id.clone())
                .collect(),
            references: &entry.references,
        })
        .collect();
    let mut out = String::new();
    match args.format {
        ListFormat::Json => {
            out = serde_json::to_string_pretty(&explanations).unwrap_or_default();
            out.push('\n');
        }
        ListFormat::Text => {
            use std::fmt::Write as _;
            if explanations.len() > 1 {
                let _ = writeln!(
                    out,
                    "`{query}` is defined in {} families; which reading applies depends on where it was shown.\n",
                    explanations.len()
                );
            }
            let width = args.width.unwrap_or_else(terminal_width).max(40);
            // Each field's value wraps under itself, never inside a word, URL or symbol.
            let field = |out: &mut String, label: &str, value: &str| {
                let label = format!("{label}:");
                let first = format!("  {label:<9} ");
                crate::render::push_paragraph(out, value, width, &first, "            ");
            };
            for e in &explanations {
                let heading = format!("{} ({}): {}", e.code, e.family_label, e.name);
                crate::render::push_paragraph(&mut out, &heading, width, "", "  ");
                if let Some(symbol) = e.symbol {
                    field(&mut out, "symbol", symbol);
                }
                if !e.read_as.is_empty() {
                    field(&mut out, "read as", &e.read_as);
                }
                field(&mut out, "applies", e.applies);
                field(&mut out, "meaning", e.meaning);
                field(&mut out, "category", e.category);
                if let Some(check) = &e.check_first {
                    field(&mut out, "check", check);
                }
                if let Some(note) = e.note {
                    field(&mut out, "note", note.trim());
                }
                if !e.aliases.is_empty() {
                    field(&mut out, "aliases", &e.aliases.join(", "));
                }
                for (lang, texts) in e.messages {
                    for text in texts {
                        field(
                            &mut out,
                            &format!("message ({lang})"),
                            &format!("\"{text}\""),
                        );
                    }
                }
                if !e.rules.is_empty() {
                    field(&mut out, "rules", &e.rules.join(", "));
                }
                for reference in e.references {
                    field(
                        &mut out,
                        "see",
                        &format!("{} <{}>", reference.title, reference.url),
                    );
                }
                out.push('\n');
            }
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    EXIT_DIAGNOSED
}

/// The catalog entries a query names, each with how the query was read.
pub(super) fn lookup<'k>(
    knowledge: &'k Knowledge,
    query: &str,
) -> Result<Vec<(&'k CatalogEntry, String)>, String> {
    let catalog = &knowledge.catalog;
    if let Some((prefix, rest)) = query.split_once(':') {
        let family = Family::from_prefix(prefix.trim()).ok_or_else(|| {
            format!(
                "unknown family `{prefix}`; use one of {}",
                Family::prefixes()
            )
        })?;
        let rest = rest.trim();
        if let Some(entry) = catalog.by_key(&format!("{}:{rest}", family.prefix())) {
            return Ok(vec![(entry, String::new())]);
        }
        let readings = number_readings(rest)
            .into_iter()
            .filter_map(|(code, how)| catalog.get(family, code).map(|e| (e, how)))
            .collect();
        return Ok(readings);
    }
    let looks_numeric = query.starts_with("0x")
        || query.starts_with("0X")
        || query.bytes().all(|b| b.is_ascii_digit());
    if looks_numeric {
        let readings = number_readings(query);
        if readings.is_empty() {
            return Err(format!(
                "`{query}` is not a code (write hex like 0x904 or decimal like 2308)"
            ));
        }
        let mut out = Vec::new();
        for (code, how) in readings {
            out.extend(catalog.readings(code).into_iter().map(|e| (e, how.clone())));
        }
        return Ok(out);
    }
    if let Some(entry) = catalog.by_symbol(query) {
        return Ok(vec![(entry, String::new())]);
    }
    let by_id: Vec<_> = catalog
        .entries()
        .iter()
        .filter(|e| e.id.as_deref() == Some(query))
        .map(|e| (e, String::new()))
        .collect();
    Ok(by_id)
}

/// The codes a number may be: hex when it says `0x`; digits alone are read as decimal and,
/// when the digits also make a hex code, as hex too.
pub(super) fn number_readings(text: &str) -> Vec<(Code, String)> {
    if text.starts_with("0x") || text.starts_with("0X") {
        return Code::parse(text)
            .map(|c| (c, String::new()))
            .into_iter()
            .collect();
    }
    let mut out = Vec::new();
    if let Ok(value) = text.parse::<u32>() {
        out.push((Code(value), format!("decimal {text} = {:#x}", value)));
    }
    if let Some(hex) = Code::parse_hex(text) {
        if out.iter().all(|(c, _)| *c != hex) {
            out.push((hex, format!("hex digits {text} = {hex}")));
        }
    }
    out
}
