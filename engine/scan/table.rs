//! Event logs exported as tables: Event Viewer's "Save All Events As" CSV (comma) and text
//! (tab), in English or a localized Windows, and PowerShell's `Get-WinEvent | Export-Csv`.
//!
//! Event Viewer's header names five columns (`Level,Date and Time,Source,Event ID,Task
//! Category`; `Keywords` first in the Security log) and every row holds a sixth, unnamed one:
//! the description, quoted across lines.

use std::io::Read;

use serde_json::{Map, Value};

use super::events::{EventsRead, WinEvent, from_json};

/// What a column of an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    Provider,
    Level,
    Time,
    Message,
    Log,
    Record,
    Computer,
    Other,
}

/// Column names, lower case, by what they hold: Event Viewer's in English, German,
/// Japanese, Russian and Chinese, and PowerShell's property names.
const COLUMNS: &[(&str, Column)] = &[
    ("event id", Column::Id),
    ("eventid", Column::Id),
    ("id", Column::Id),
    ("ereignis-id", Column::Id),
    ("id de l'événement", Column::Id),
    ("イベント id", Column::Id),
    ("事件 id", Column::Id),
    ("код события", Column::Id),
    ("source", Column::Provider),
    ("providername", Column::Provider),
    ("quelle", Column::Provider),
    ("ソース", Column::Provider),
    ("来源", Column::Provider),
    ("источник", Column::Provider),
    ("level", Column::Level),
    ("leveldisplayname", Column::Level),
    ("entrytype", Column::Level),
    ("keywords", Column::Level),
    ("ebene", Column::Level),
    ("schlüsselwörter", Column::Level),
    ("レベル", Column::Level),
    ("キーワード", Column::Level),
    ("级别", Column::Level),
    ("关键字", Column::Level),
    ("уровень", Column::Level),
    ("ключевые слова", Column::Level),
    ("date and time", Column::Time),
    ("timecreated", Column::Time),
    ("timegenerated", Column::Time),
    ("datum und uhrzeit", Column::Time),
    ("日付と時刻", Column::Time),
    ("日期和时间", Column::Time),
    ("дата и время", Column::Time),
    ("message", Column::Message),
    ("description", Column::Message),
    ("beschreibung", Column::Message),
    ("説明", Column::Message),
    ("描述", Column::Message),
    ("описание", Column::Message),
    ("logname", Column::Log),
    ("log name", Column::Log),
    ("recordid", Column::Record),
    ("machinename", Column::Computer),
    ("computer", Column::Computer),
];

/// The columns of a header line, and the delimiter, when it is the header of an event export:
/// it names an event ID and a source or message column.
pub fn header_of(line: &str) -> Option<(u8, usize)> {
    let line = line.trim_start_matches('\u{feff}').trim_end();
    let delimiter = [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|d| line.bytes().filter(|b| b == d).count() * 4 + usize::from(*d == b','))?;
    let columns = columns_of(&split_header(line, delimiter));
    (columns.contains(&Column::Id)
        && (columns.contains(&Column::Provider) || columns.contains(&Column::Message)))
    .then_some((delimiter, columns.len()))
}

fn split_header(line: &str, delimiter: u8) -> Vec<String> {
    line.split(delimiter as char)
        .map(|c| c.trim().trim_matches('"').trim().to_lowercase())
        .collect()
}

fn columns_of(names: &[String]) -> Vec<Column> {
    names
        .iter()
        .map(|name| {
            COLUMNS
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Column::Other, |(_, c)| *c)
        })
        .collect()
}

/// Reads an event export table whose header [`header_of`] recognised, handing each event to
/// `each` with the line its row starts on.
pub fn read_table(
    reader: impl Read,
    delimiter: u8,
    mut each: impl FnMut(u64, WinEvent),
) -> EventsRead {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        // Rows end at a line feed, so a row's line is counted right after `\r\n` too (the
        // `\r` is trimmed from the last field).
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let mut summary = EventsRead::default();
    let mut columns: Option<Vec<Column>> = None;
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return summary,
            Err(error) => {
                summary.error = Some(error.to_string());
                return summary;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let Some(columns) = &columns else {
            // PowerShell 5.1 writes a `#TYPE ...` line before the header.
            if record.get(0).is_some_and(|f| f.starts_with("#TYPE")) {
                continue;
            }
            let names: Vec<String> = record
                .iter()
                .map(|f| f.trim_start_matches('\u{feff}').trim().to_lowercase())
                .collect();
            columns = Some(columns_of(&names));
            continue;
        };
        match event_of(columns, &record) {
            Some(event) => {
                summary.events += 1;
                each(line, event);
            }
            None => summary.broken += 1,
        }
    }
}

/// A row as the JSON PowerShell writes for an event, read by [`from_json`]; the unnamed
/// last column of Event Viewer's export is the description.
fn event_of(columns: &[Column], record: &csv::StringRecord) -> Option<WinEvent> {
    let mut object = Map::new();
    for (n, field) in record.iter().enumerate() {
        let column = columns.get(n).copied().unwrap_or(Column::Message);
        let key = match column {
            Column::Id => "Id",
            Column::Provider => "ProviderName",
            Column::Level => "LevelDisplayName",
            Column::Time => "TimeCreated",
            Column::Message => "Message",
            Column::Log => "LogName",
            Column::Record => "RecordId",
            Column::Computer => "MachineName",
            Column::Other => continue,
        };
        if !object.contains_key(key) {
            let field = field.strip_suffix('\r').unwrap_or(field);
            object.insert(key.to_string(), Value::String(field.to_string()));
        }
    }
    from_json(&Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Level;

    #[test]
    fn event_viewer_csv_in_english_and_german() {
        let english = "Level,Date and Time,Source,Event ID,Task Category\r\nError,1/5/2024 10:11:12 AM,Schannel,36871,None,\"A fatal error occurred while creating a TLS client credential.\r\nThe internal error state is 10013.\"\r\nInformation,1/5/2024 10:11:13 AM,Microsoft-Windows-TerminalServices-RemoteConnectionManager,1149,None,Remote Desktop Services: User authentication succeeded\r\n";
        assert_eq!(header_of(english.lines().next().unwrap()), Some((b',', 5)));
        let mut events = Vec::new();
        let summary = read_table(english.as_bytes(), b',', |line, e| events.push((line, e)));
        assert_eq!((summary.events, summary.broken), (2, 0));
        let (line, first) = &events[0];
        assert_eq!(*line, 2);
        assert_eq!((first.id, first.level), (36871, Level::Error));
        assert!(first.message.as_deref().unwrap().contains("10013"));
        assert_eq!(events[1].0, 4, "the quoted description spans two lines");
        let german = "\u{feff}Ebene;Datum und Uhrzeit;Quelle;Ereignis-ID;Aufgabenkategorie\nFehler;27.10.2021 12:28:26;Microsoft-Windows-TerminalServices-Gateway;304;(3);\"Der Benutzer \"\"D\\u\"\" konnte keine Verbindung herstellen.\"\n";
        let (delimiter, _) = header_of(german.lines().next().unwrap()).unwrap();
        assert_eq!(delimiter, b';');
        let mut events = Vec::new();
        read_table(german.as_bytes(), delimiter, |_, e| events.push(e));
        assert_eq!((events[0].id, events[0].level), (304, Level::Error));
        assert!(events[0].message.as_deref().unwrap().contains("\"D\\u\""));
    }

    #[test]
    fn powershell_export_csv() {
        let text = "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\n\"Message\",\"Id\",\"Level\",\"RecordId\",\"ProviderName\",\"LogName\",\"TimeCreated\",\"LevelDisplayName\"\n\"An account failed to log on.\",\"4625\",\"0\",\"77\",\"Microsoft-Windows-Security-Auditing\",\"Security\",\"1/5/2024 10:11:12 AM\",\"Information\"\n";
        let header = text.lines().nth(1).unwrap();
        assert_eq!(header_of(header).map(|h| h.0), Some(b','));
        let mut events = Vec::new();
        read_table(text.as_bytes(), b',', |_, e| events.push(e));
        assert_eq!(events[0].id, 4625);
        assert_eq!(events[0].record, Some(77));
        assert_eq!(events[0].channel, "Security");
    }

    #[test]
    fn ordinary_lines_are_not_headers() {
        assert_eq!(header_of("[ERROR][com.freerdp.core] - id, source"), None);
        assert_eq!(header_of("a,b,c"), None);
    }
}
