//! Windows events, whichever way they were exported (EVTX, XML, JSON, CSV), as one record
//! the scanner diagnoses: provider, event ID, level, time, correlation and named fields.

use std::io::{Read, Seek};

use serde_json::Value;

use super::Level;

/// The audit-failure bit of an event's keywords (Security 4625, 4771, 4776 failures).
const AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;

/// The most fields of one event kept (the rest are dropped).
const MAX_FIELDS: usize = 64;

/// The longest field value kept, in characters.
const MAX_VALUE_CHARS: usize = 2000;

/// One Windows event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WinEvent {
    /// The provider (`Microsoft-Windows-Security-Auditing`, `Schannel`), as the log names it.
    pub provider: String,
    /// The log (`Security`, `Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational`).
    pub channel: String,
    /// The event ID.
    pub id: u32,
    /// How serious the event says it is.
    pub level: Level,
    /// When, as the export writes it (EVTX: `2018-08-02T04:32:33.1773324Z`, UTC).
    pub time: Option<String>,
    /// The computer that logged it.
    pub computer: String,
    /// Its EventRecordID.
    pub record: Option<u64>,
    /// The ActivityID that ties the events of one connection together.
    pub activity: Option<String>,
    /// The rendered message, when the export holds one (EVTX files do not).
    pub message: Option<String>,
    /// The event's data, by name (`Status`, `IpAddress`), in order.
    pub fields: Vec<(String, String)>,
    /// The record as JSON and where its data lies in it, not read into `fields` yet (an EVTX
    /// record: most are never diagnosed, and reading their data would be most of the work).
    pending: Option<(String, Vec<std::ops::Range<usize>>)>,
}

impl WinEvent {
    /// Reads the event's data into `fields`, when it was left as JSON.
    pub fn load_fields(&mut self) {
        let Some((json, parts)) = self.pending.take() else {
            return;
        };
        for range in parts {
            let part = json
                .get(range)
                .and_then(|p| serde_json::from_str::<Value>(p).ok());
            if let Some(part) = part {
                flatten(self, "Data", &part);
            }
        }
    }

    /// The value of a field, by name in any letter case.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn push_field(&mut self, name: &str, value: String) {
        let value = value.trim();
        if value.is_empty() || value == "-" || self.fields.len() >= MAX_FIELDS {
            return;
        }
        let value: String = value.chars().take(MAX_VALUE_CHARS).collect();
        self.fields.push((name.to_string(), value));
    }

    /// Reads the level an export gives: a number (1 critical ... 5 verbose) or a word in one
    /// of the languages Event Viewer writes.
    fn set_level(&mut self, level: &str) {
        let level = level.trim().to_lowercase();
        self.level = match level.as_str() {
            "1" | "2" => Level::Error,
            "3" => Level::Warning,
            _ if LEVEL_ERROR.iter().any(|w| level.starts_with(w)) => Level::Error,
            _ if LEVEL_WARNING.iter().any(|w| level.starts_with(w)) => Level::Warning,
            _ => self.level,
        };
    }

    fn set_keywords(&mut self, keywords: &str) {
        let hex = keywords.trim().trim_start_matches("0x");
        if u64::from_str_radix(hex, 16).is_ok_and(|k| k & AUDIT_FAILURE != 0) {
            self.level = Level::Error;
        }
    }
}

/// Level words that mean an error, lower case, in the languages of Event Viewer (an audit
/// failure counts as one).
const LEVEL_ERROR: &[&str] = &[
    "error",
    "critical",
    "audit failure",
    "fehler",
    "kritisch",
    "überwachung gescheitert",
    "erreur",
    "critique",
    "échec de l'audit",
    "errore",
    "critico",
    "controllo non riuscito",
    "erro",
    "crítico",
    "falha na auditoria",
    "error crítico",
    "error de auditoría",
    "fout",
    "kritiek",
    "błąd",
    "krytyczny",
    "ошибка",
    "критический",
    "エラー",
    "重大",
    "失敗の監査",
    "错误",
    "关键",
    "审核失败",
    "오류",
    "위험",
    "hata",
    "kritik",
    "chyba",
    "kritická",
    "fel",
    "kritisk",
];

/// Level words that mean a warning, lower case.
const LEVEL_WARNING: &[&str] = &[
    "warning",
    "warnung",
    "avertissement",
    "avviso",
    "advertencia",
    "aviso",
    "waarschuwing",
    "ostrzeżenie",
    "предупреждение",
    "警告",
    "경고",
    "uyarı",
    "upozornění",
    "varning",
];

/// Text of a JSON scalar: a string as it is, a number or a boolean written out.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // `{"#text": "..."}`: an element with attributes and a text.
        Value::Object(map) => map.get("#text").and_then(scalar),
        _ => None,
    }
}

/// An attribute of an element as the `evtx` crate writes it (`{"#attributes": {"Name": ..}}`),
/// or a plain value of that name.
fn attribute<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value
        .get("#attributes")
        .and_then(|a| a.get(name))
        .or_else(|| value.get(name))
}

/// Adds the leaves of an event's data (EventData or UserData) as fields: nested elements by
/// their own name, lists of unnamed values as `Data1`, `Data2`...
fn flatten(event: &mut WinEvent, name: &str, value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "#attributes" || key.starts_with("xmlns") {
                    continue;
                }
                let key = if key == "#text" { name } else { key };
                flatten(event, key, inner);
            }
        }
        Value::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                flatten(event, &format!("{name}{}", n + 1), item);
            }
        }
        Value::Null => {}
        scalar_value => {
            if let Some(text) = scalar(scalar_value) {
                event.push_field(name, text);
            }
        }
    }
}

/// An event from its JSON form: the `evtx` crate's (`{"Event": {"System": .., "EventData":
/// ..}}`, also evtx_dump's JSON lines), PowerShell's `Get-WinEvent | ConvertTo-Json` (`Id`,
/// `ProviderName`, `Message`, `Properties`) or Winlogbeat's (`winlog.event_id`). `None` when
/// it is none of these.
pub fn from_json(value: &Value) -> Option<WinEvent> {
    if let Some(event) = value.get("Event") {
        return from_evtx_json(event);
    }
    if let Some(winlog) = value.get("winlog") {
        return from_winlogbeat(value, winlog);
    }
    if let Some(win) = value
        .get("win")
        .or_else(|| value.get("data").and_then(|d| d.get("win")))
    {
        return from_wazuh(win);
    }
    from_powershell(value)
}

fn from_evtx_json(event: &Value) -> Option<WinEvent> {
    let system = event.get("System")?;
    let mut out = WinEvent {
        id: number(system.get("EventID")?)?,
        provider: system
            .get("Provider")
            .and_then(|p| attribute(p, "Name").or_else(|| attribute(p, "EventSourceName")))
            .and_then(scalar)
            .unwrap_or_default(),
        channel: system.get("Channel").and_then(scalar).unwrap_or_default(),
        computer: system.get("Computer").and_then(scalar).unwrap_or_default(),
        record: system.get("EventRecordID").and_then(number_u64),
        time: system
            .get("TimeCreated")
            .and_then(|t| attribute(t, "SystemTime"))
            .and_then(scalar),
        activity: system
            .get("Correlation")
            .and_then(|c| attribute(c, "ActivityID"))
            .and_then(scalar),
        ..WinEvent::default()
    };
    if let Some(level) = system.get("Level").and_then(scalar) {
        out.set_level(&level);
    }
    if let Some(keywords) = system.get("Keywords").and_then(scalar) {
        out.set_keywords(&keywords);
    }
    for part in ["EventData", "UserData"] {
        if let Some(data) = event.get(part) {
            flatten(&mut out, "Data", data);
        }
    }
    out.message = event
        .get("RenderingInfo")
        .and_then(|r| r.get("Message"))
        .and_then(scalar);
    Some(out)
}

fn from_winlogbeat(value: &Value, winlog: &Value) -> Option<WinEvent> {
    let mut out = WinEvent {
        id: number(winlog.get("event_id")?)?,
        provider: winlog
            .get("provider_name")
            .and_then(scalar)
            .unwrap_or_default(),
        channel: winlog.get("channel").and_then(scalar).unwrap_or_default(),
        computer: winlog
            .get("computer_name")
            .and_then(scalar)
            .unwrap_or_default(),
        record: winlog.get("record_id").and_then(number_u64),
        time: value.get("@timestamp").and_then(scalar),
        activity: winlog.get("activity_id").and_then(scalar),
        message: value.get("message").and_then(scalar),
        ..WinEvent::default()
    };
    if let Some(level) = value
        .get("log")
        .and_then(|l| l.get("level"))
        .and_then(scalar)
    {
        out.set_level(&level);
    }
    if let Some(keywords) = winlog.get("keywords").and_then(|k| k.as_array()) {
        if keywords.iter().any(|k| k.as_str() == Some("Audit Failure")) {
            out.level = Level::Error;
        }
    }
    for part in ["event_data", "user_data"] {
        if let Some(data) = winlog.get(part) {
            flatten(&mut out, "Data", data);
        }
    }
    Some(out)
}

/// Wazuh's decoding of an event channel record: `{"win": {"system": {"providerName",
/// "eventID", ...}, "eventdata": {...}}}`, alone or inside an alert's `data`.
fn from_wazuh(win: &Value) -> Option<WinEvent> {
    let system = win.get("system")?;
    let text = |name: &str| system.get(name).and_then(scalar);
    let mut out = WinEvent {
        id: number(system.get("eventID")?)?,
        provider: text("providerName").unwrap_or_default(),
        channel: text("channel").unwrap_or_default(),
        computer: text("computer").unwrap_or_default(),
        record: system.get("eventRecordID").and_then(number_u64),
        time: text("systemTime"),
        message: text("message").map(|m| m.trim_matches('"').to_string()),
        ..WinEvent::default()
    };
    if let Some(level) = text("level") {
        out.set_level(&level);
    }
    if let Some(keywords) = text("keywords") {
        out.set_keywords(&keywords);
    }
    if let Some(data) = win.get("eventdata") {
        flatten(&mut out, "Data", data);
    }
    Some(out)
}

fn from_powershell(value: &Value) -> Option<WinEvent> {
    let id = number(value.get("Id").or_else(|| value.get("EventID"))?)?;
    let mut out = WinEvent {
        id,
        provider: value
            .get("ProviderName")
            .or_else(|| value.get("Source"))
            .and_then(scalar)
            .unwrap_or_default(),
        channel: value
            .get("LogName")
            .or_else(|| value.get("Channel"))
            .and_then(scalar)
            .unwrap_or_default(),
        computer: value
            .get("MachineName")
            .or_else(|| value.get("Computer"))
            .and_then(scalar)
            .unwrap_or_default(),
        record: value.get("RecordId").and_then(number_u64),
        time: value
            .get("TimeCreated")
            .or_else(|| value.get("TimeGenerated"))
            .and_then(scalar)
            .map(|t| powershell_time(&t)),
        activity: value.get("ActivityId").and_then(scalar),
        message: value.get("Message").and_then(scalar),
        ..WinEvent::default()
    };
    if out.provider.is_empty() && out.channel.is_empty() && out.message.is_none() {
        return None;
    }
    if let Some(level) = value
        .get("LevelDisplayName")
        .or_else(|| value.get("Level"))
        .or_else(|| value.get("EntryType"))
        .and_then(scalar)
    {
        out.set_level(&level);
    }
    if let Some(Value::Array(keywords)) = value.get("KeywordsDisplayNames") {
        if keywords.iter().any(|k| k.as_str() == Some("Audit Failure")) {
            out.level = Level::Error;
        }
    }
    if let Some(Value::Array(properties)) = value.get("Properties") {
        for (n, property) in properties.iter().enumerate() {
            if let Some(text) = property.get("Value").and_then(scalar) {
                out.push_field(&format!("Data{}", n + 1), text);
            }
        }
    }
    Some(out)
}

/// `/Date(1704449472000)/`, as ConvertTo-Json writes a time, as an ISO 8601 UTC time; other
/// texts as they are.
fn powershell_time(text: &str) -> String {
    let millis = text
        .strip_prefix("/Date(")
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit() && c != '-').next())
        .and_then(|t| t.parse::<i64>().ok());
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    millis
        .and_then(|m| time::OffsetDateTime::from_unix_timestamp(m.div_euclid(1000)).ok())
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| text.to_string())
}

fn number(value: &Value) -> Option<u32> {
    number_u64(value).and_then(|n| u32::try_from(n).ok())
}

fn number_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(map) => map.get("#text").and_then(number_u64),
        _ => None,
    }
}

/// How reading the events of an export ended.
#[derive(Debug, Default)]
pub struct EventsRead {
    /// Events read.
    pub events: u64,
    /// Elements or rows that looked like events but could not be read as one.
    pub broken: u64,
    /// Why reading stopped early, when it did (the events before are kept).
    pub error: Option<String>,
}

/// Why an EVTX file could not be read (the records read before it are kept).
#[derive(Debug)]
pub struct EvtxProblem(pub String);

/// An EVTX record as the `evtx` crate writes it in JSON: the header read into borrowed
/// text, the data kept as written until it is needed.
#[derive(serde::Deserialize)]
struct EvtxRecord<'a> {
    #[serde(rename = "Event", borrow)]
    event: EvtxEvent<'a>,
}

#[derive(serde::Deserialize)]
struct EvtxEvent<'a> {
    #[serde(rename = "System", borrow)]
    system: EvtxSystem<'a>,
    #[serde(rename = "EventData", borrow, default)]
    event_data: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "UserData", borrow, default)]
    user_data: Option<&'a serde_json::value::RawValue>,
}

#[derive(serde::Deserialize)]
struct EvtxSystem<'a> {
    #[serde(rename = "Provider", borrow, default)]
    provider: Option<Attributes<'a>>,
    #[serde(rename = "EventID")]
    event_id: Value,
    #[serde(rename = "Level", default)]
    level: Option<Value>,
    #[serde(rename = "Keywords", borrow, default)]
    keywords: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "TimeCreated", borrow, default)]
    time_created: Option<Attributes<'a>>,
    #[serde(rename = "EventRecordID", default)]
    record: Option<u64>,
    #[serde(rename = "Correlation", borrow, default)]
    correlation: Option<Attributes<'a>>,
    #[serde(rename = "Channel", borrow, default)]
    channel: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "Computer", borrow, default)]
    computer: Option<std::borrow::Cow<'a, str>>,
}

/// An element's attributes, of those the header has.
#[derive(serde::Deserialize)]
struct Attributes<'a> {
    #[serde(rename = "#attributes", borrow, default)]
    attributes: Option<AttributeValues<'a>>,
}

#[derive(serde::Deserialize)]
struct AttributeValues<'a> {
    #[serde(rename = "Name", borrow, default)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "SystemTime", borrow, default)]
    system_time: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "ActivityID", borrow, default)]
    activity: Option<std::borrow::Cow<'a, str>>,
}

impl<'a> Attributes<'a> {
    fn get(
        value: &Option<Attributes<'a>>,
        pick: impl for<'v> Fn(&'v AttributeValues<'a>) -> &'v Option<std::borrow::Cow<'a, str>>,
    ) -> Option<String> {
        value
            .as_ref()
            .and_then(|a| a.attributes.as_ref())
            .and_then(|a| pick(a).as_ref())
            .map(|v| v.to_string())
    }
}

/// An event from an EVTX record's JSON, its data left for [`WinEvent::load_fields`].
fn from_evtx_record(json: String) -> Option<WinEvent> {
    let record: EvtxRecord = serde_json::from_str(&json).ok()?;
    let system = &record.event.system;
    let mut event = WinEvent {
        id: number(&system.event_id)?,
        provider: Attributes::get(&system.provider, |a| &a.name).unwrap_or_default(),
        channel: system.channel.as_deref().unwrap_or_default().to_string(),
        computer: system.computer.as_deref().unwrap_or_default().to_string(),
        record: system.record,
        time: Attributes::get(&system.time_created, |a| &a.system_time),
        activity: Attributes::get(&system.correlation, |a| &a.activity),
        ..WinEvent::default()
    };
    if let Some(level) = system.level.as_ref().and_then(scalar) {
        event.set_level(&level);
    }
    if let Some(keywords) = &system.keywords {
        event.set_keywords(keywords);
    }
    // Where the data lies in the record's text (a raw value is a slice of it).
    let parts: Vec<std::ops::Range<usize>> = [record.event.event_data, record.event.user_data]
        .into_iter()
        .flatten()
        .map(|part| {
            let start = part.get().as_ptr() as usize - json.as_ptr() as usize;
            start..start + part.get().len()
        })
        .collect();
    drop(record);
    event.pending = (!parts.is_empty()).then_some((json, parts));
    Some(event)
}

/// Reads the records of an EVTX file, oldest first, on every core, and hands each to `each`
/// with its position, its data not yet read ([`WinEvent::load_fields`]); a record that
/// cannot be parsed is counted, not fatal.
pub fn read_evtx<R: Read + Seek>(
    reader: R,
    mut each: impl FnMut(u64, WinEvent),
) -> Result<(u64, u64), EvtxProblem> {
    let settings = evtx::ParserSettings::new()
        .num_threads(0)
        .indent(false)
        .separate_json_attributes(false);
    let mut parser = evtx::EvtxParser::from_read_seek(reader)
        .map_err(|e| EvtxProblem(e.to_string()))?
        .with_configuration(settings);
    let (mut read, mut broken) = (0u64, 0u64);
    // Each record is rendered and its header read where its chunk is parsed, on every core.
    let records = parser.serialized_records(|record| {
        let record = record?.into_json()?;
        let id = record.event_record_id;
        Ok(from_evtx_record(record.data).map(|mut event| {
            event.record = event.record.or(Some(id));
            event
        }))
    });
    for record in records {
        match record {
            Ok(Some(event)) => {
                read += 1;
                each(read, event);
            }
            Ok(None) | Err(_) => broken += 1,
        }
    }
    Ok((read, broken))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_evtx_record_as_json() {
        let value: Value = serde_json::from_str(
            r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4625,"Level":0,"Keywords":"0x8010000000000000","TimeCreated":{"#attributes":{"SystemTime":"2024-01-05T10:11:12.5Z"}},"EventRecordID":77,"Channel":"Security","Computer":"DC1"},"EventData":{"TargetUserName":"alice","Status":"0xc000006d","SubStatus":"0xc000006a","LogonType":10,"IpAddress":"-"}}}"##,
        )
        .unwrap();
        let event = from_json(&value).unwrap();
        assert_eq!(event.id, 4625);
        assert_eq!(event.level, Level::Error, "an audit failure");
        assert_eq!(event.record, Some(77));
        assert_eq!(event.time.as_deref(), Some("2024-01-05T10:11:12.5Z"));
        assert_eq!(event.field("substatus"), Some("0xc000006a"));
        assert_eq!(event.field("LogonType"), Some("10"));
        assert_eq!(event.field("IpAddress"), None, "`-` is no value");
    }

    #[test]
    fn powershell_and_winlogbeat_json() {
        let value: Value = serde_json::from_str(
            r#"{"Id":1058,"ProviderName":"Microsoft-Windows-TerminalServices-RemoteConnectionManager","LogName":"System","LevelDisplayName":"Error","TimeCreated":"\/Date(1704449472000)\/","Message":"The RD Session Host Server has failed to replace the expired self signed certificate","Properties":[{"Value":"0x8007000d"}]}"#,
        )
        .unwrap();
        let event = from_json(&value).unwrap();
        assert_eq!((event.id, event.level), (1058, Level::Error));
        assert_eq!(event.time.as_deref(), Some("2024-01-05T10:11:12Z"));
        assert_eq!(event.field("Data1"), Some("0x8007000d"));
        let value: Value = serde_json::from_str(
            r#"{"@timestamp":"2024-01-05T10:11:12.000Z","message":"An account failed to log on.","log":{"level":"information"},"winlog":{"event_id":"4625","provider_name":"Microsoft-Windows-Security-Auditing","channel":"Security","keywords":["Audit Failure"],"event_data":{"Status":"0xc000006d","SubStatus":"0xc0000064"}}}"#,
        )
        .unwrap();
        let event = from_json(&value).unwrap();
        assert_eq!((event.id, event.level), (4625, Level::Error));
        assert_eq!(event.field("SubStatus"), Some("0xc0000064"));
        assert_eq!(from_json(&serde_json::json!({"level": "error"})), None);
        // Wazuh's shape (wazuh/wazuh#16014), with an error level and its eventdata.
        let value: Value = serde_json::from_str(
            r#"{"win":{"system":{"providerName":"Microsoft-Windows-TerminalServices-Gateway","eventID":"201","level":"2","keywords":"0x4020000001000000","systemTime":"2023-01-25T20:56:39.141308000Z","eventRecordID":"84771","channel":"Microsoft-Windows-TerminalServices-Gateway/Operational","computer":"server.domain.com","message":"\"The user did not meet connection authorization policy requirements\""},"eventdata":{"username":"DOM\\user","ipAddress":"172.16.63.71","errorCode":"23003"}}}"#,
        )
        .unwrap();
        let event = from_json(&value).unwrap();
        assert_eq!(
            (event.id, event.level, event.record),
            (201, Level::Error, Some(84771))
        );
        assert_eq!(event.field("errorCode"), Some("23003"));
        assert!(event.message.as_deref().unwrap().starts_with("The user"));
    }

    #[test]
    fn level_words_of_other_languages() {
        let mut event = WinEvent::default();
        event.set_level("Fehler");
        assert_eq!(event.level, Level::Error);
        let mut event = WinEvent::default();
        event.set_level("Avertissement");
        assert_eq!(event.level, Level::Warning);
        let mut event = WinEvent::default();
        event.set_level("Information");
        assert_eq!(event.level, Level::Info);
    }
}
