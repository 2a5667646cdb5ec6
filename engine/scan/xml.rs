//! Event logs exported as XML, read one event at a time: `wevtutil qe /f:xml` and
//! `/f:RenderedXml` (`<Event>` elements, with or without a root), Event Viewer's "Save as
//! XML" (`<Events>`), and PowerShell's `Get-WinEvent | ConvertTo-Xml` (`<Objects>`).

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

use super::events::{EventsRead, WinEvent, from_json};

/// The largest single event read, in bytes of XML; a larger one is skipped.
const MAX_EVENT_BYTES: u64 = 1024 * 1024;

/// Reads the events of an XML export and hands each to `each` with its position (from 1).
pub fn read_xml(reader: impl BufRead, mut each: impl FnMut(u64, WinEvent)) -> EventsRead {
    let mut xml = quick_xml::Reader::from_reader(reader);
    xml.config_mut().trim_text(false);
    let mut summary = EventsRead::default();
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let event = match xml.read_event_into(&mut buffer) {
            Ok(event) => event,
            Err(error) => {
                summary.error = Some(format!(
                    "XML error at byte {}: {error}",
                    xml.error_position()
                ));
                return summary;
            }
        };
        let (start, powershell) = match &event {
            Event::Start(start) if start.local_name().as_ref() == b"Event" => (start, false),
            Event::Start(start)
                if start.local_name().as_ref() == b"Object"
                    && attr(start, "Type").is_some_and(|t| t.ends_with("EventLogRecord")) =>
            {
                (start, true)
            }
            Event::Eof => return summary,
            _ => continue,
        };
        let from = xml.buffer_position();
        let start = start.to_owned();
        let value = match element(&mut xml, &start, from) {
            Ok(value) => value,
            Err(error) => {
                summary.error = Some(error);
                return summary;
            }
        };
        let parsed = if powershell {
            from_json(&powershell_object(&value))
        } else {
            let mut event = Map::new();
            event.insert("Event".into(), value);
            from_json(&Value::Object(event))
        };
        match parsed {
            Some(event) => {
                summary.events += 1;
                each(summary.events, event);
            }
            None => summary.broken += 1,
        }
    }
}

fn attr(start: &BytesStart, name: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Reads the element that `start` opened to its end, as the `evtx` crate's JSON writes one:
/// attributes under `#attributes`, children by name (a repeated name as a list), text alone
/// as the value, and `<Data Name="X">v</Data>` as `"X": "v"`.
fn element<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    start: &BytesStart,
    from: u64,
) -> Result<Value, String> {
    let mut attributes = Map::new();
    for attribute in start.attributes().flatten() {
        if let Ok(value) = attribute.unescape_value() {
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            attributes.insert(key, Value::String(value.into_owned()));
        }
    }
    let mut children: Map<String, Value> = Map::new();
    let mut text = String::new();
    let mut buffer = Vec::new();
    loop {
        if xml.buffer_position().saturating_sub(from) > MAX_EVENT_BYTES {
            return Err(format!(
                "an event longer than {} KiB at byte {from}; reading stopped",
                MAX_EVENT_BYTES / 1024
            ));
        }
        buffer.clear();
        let event = xml
            .read_event_into(&mut buffer)
            .map_err(|e| format!("XML error at byte {}: {e}", xml.error_position()))?;
        match event {
            Event::Start(inner) => {
                let inner = inner.to_owned();
                let value = element(xml, &inner, from)?;
                add_child(&mut children, &inner, value);
            }
            Event::Empty(inner) => {
                let value = element_without_content(&inner);
                add_child(&mut children, &inner, value);
            }
            Event::Text(t) => text.push_str(&t.xml_content().unwrap_or_default()),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => {
                    let name = r.decode().unwrap_or_default();
                    text.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            },
            Event::End(_) => break,
            Event::Eof => return Err("the XML ends inside an event".to_string()),
            _ => {}
        }
    }
    let text = text.trim();
    if children.is_empty() && attributes.is_empty() {
        return Ok(Value::String(text.to_string()));
    }
    if !attributes.is_empty() {
        children.insert("#attributes".into(), Value::Object(attributes));
    }
    if !text.is_empty() {
        children.insert("#text".into(), Value::String(text.to_string()));
    }
    Ok(Value::Object(children))
}

fn element_without_content(start: &BytesStart) -> Value {
    let mut attributes = Map::new();
    for attribute in start.attributes().flatten() {
        if let Ok(value) = attribute.unescape_value() {
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            attributes.insert(key, Value::String(value.into_owned()));
        }
    }
    if attributes.is_empty() {
        return Value::Null;
    }
    let mut map = Map::new();
    map.insert("#attributes".into(), Value::Object(attributes));
    Value::Object(map)
}

/// Adds a child element under its name; `<Data Name="X">` and `<Property Name="X">` under
/// `X`; a name seen twice becomes a list.
fn add_child(children: &mut Map<String, Value>, start: &BytesStart, mut value: Value) {
    let tag = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let named = (tag == "Data" || tag == "Property")
        .then(|| attr(start, "Name"))
        .flatten();
    let key = match named {
        Some(name) => {
            // `<Data Name="X">v</Data>`: the value alone, without the attribute naming it.
            if let Value::Object(map) = &mut value {
                if let Some(Value::Object(attributes)) = map.get_mut("#attributes") {
                    attributes.remove("Name");
                    if attributes.is_empty() {
                        map.remove("#attributes");
                    }
                }
                if map.len() == 1 {
                    if let Some(text) = map.remove("#text") {
                        value = text;
                    }
                } else if map.is_empty() {
                    value = Value::Null;
                }
            }
            name
        }
        None => tag,
    };
    match children.get_mut(&key) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            children.insert(key, value);
        }
    }
}

/// A `ConvertTo-Xml` object as the JSON `ConvertTo-Json` writes: properties by name, the
/// event's data (`Properties`) as a list of `{"Value": ..}`.
fn powershell_object(object: &Value) -> Value {
    let mut out = Map::new();
    let Value::Object(map) = object else {
        return Value::Object(out);
    };
    for (name, value) in map {
        if name == "#attributes" {
            continue;
        }
        let value = match (name.as_str(), value) {
            ("Properties", Value::Object(inner)) => {
                // Nested `<Property Type="...EventProperty"><Property Name="Value">v`.
                let items: Vec<Value> = match inner.get("Property") {
                    Some(Value::Array(items)) => items.clone(),
                    Some(one) => vec![one.clone()],
                    None => Vec::new(),
                };
                Value::Array(
                    items
                        .into_iter()
                        .map(|item| {
                            let value = item.get("Value").cloned().unwrap_or(Value::Null);
                            serde_json::json!({ "Value": value })
                        })
                        .collect(),
                )
            }
            (_, Value::Object(inner)) => inner.get("#text").cloned().unwrap_or(Value::Null),
            (_, value) => value.clone(),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Level;

    #[test]
    fn wevtutil_events_without_a_root() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4625</EventID><Level>0</Level><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='2024-01-05T10:11:12.123Z'/><EventRecordID>9</EventRecordID><Correlation ActivityID='{AB}'/><Channel>Security</Channel><Computer>RDS1</Computer></System><EventData><Data Name='TargetUserName'>bob</Data><Data Name='Status'>0xc000006d</Data><Data Name='SubStatus'>0xc0000234</Data><Data Name='IpAddress'>10.0.0.7</Data></EventData><RenderingInfo Culture='en-US'><Message>An account failed to log on.&#13;&#10;Failure Reason: &amp; more</Message></RenderingInfo></Event>\n<Event xmlns='x'><System><Provider Name='Schannel'/><EventID Qualifiers='49152'>36871</EventID><Level>2</Level></System><EventData><Data>a</Data><Data>b</Data></EventData></Event>";
        let mut events = Vec::new();
        let summary = read_xml(xml.as_bytes(), |n, e| events.push((n, e)));
        assert_eq!((summary.events, summary.broken), (2, 0), "{summary:?}");
        assert!(summary.error.is_none());
        let (n, first) = &events[0];
        assert_eq!(*n, 1);
        assert_eq!(first.id, 4625);
        assert_eq!(first.level, Level::Error);
        assert_eq!(first.record, Some(9));
        assert_eq!(first.activity.as_deref(), Some("{AB}"));
        assert_eq!(first.field("SubStatus"), Some("0xc0000234"));
        assert_eq!(
            first.message.as_deref(),
            Some("An account failed to log on.\r\nFailure Reason: & more")
        );
        let second = &events[1].1;
        assert_eq!((second.id, second.level), (36871, Level::Error));
        assert_eq!(second.field("Data1"), Some("a"));
        assert_eq!(second.field("Data2"), Some("b"));
    }

    #[test]
    fn convert_to_xml_objects() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><Objects><Object Type="System.Diagnostics.Eventing.Reader.EventLogRecord"><Property Name="Message" Type="System.String">The Terminal Server has failed to create a new self signed certificate.</Property><Property Name="Id" Type="System.Int32">1057</Property><Property Name="ProviderName" Type="System.String">Microsoft-Windows-TerminalServices-RemoteConnectionManager</Property><Property Name="LevelDisplayName" Type="System.String">Error</Property><Property Name="TimeCreated" Type="System.DateTime">4/25/2022 11:51:07 AM</Property><Property Name="Properties" Type="System.Collections.Generic.List`1[[System.Diagnostics.Eventing.Reader.EventProperty]]"><Property Type="System.Diagnostics.Eventing.Reader.EventProperty"><Property Name="Value" Type="System.String">0x80070005</Property></Property></Property></Object></Objects>"#;
        let mut events = Vec::new();
        let summary = read_xml(xml.as_bytes(), |_, e| events.push(e));
        assert_eq!(summary.events, 1, "{summary:?}");
        let event = &events[0];
        assert_eq!((event.id, event.level), (1057, Level::Error));
        assert_eq!(event.time.as_deref(), Some("4/25/2022 11:51:07 AM"));
        assert_eq!(event.field("Data1"), Some("0x80070005"));
        assert!(event.message.as_deref().unwrap().contains("self signed"));
    }

    #[test]
    fn broken_xml_keeps_the_events_before() {
        let xml = "<Event><System><EventID>1</EventID><Provider Name='p'/></System></Event><Event><System><EventID>2</Event>";
        let mut ids = Vec::new();
        let summary = read_xml(xml.as_bytes(), |_, e| ids.push(e.id));
        assert_eq!(ids, vec![1]);
        assert!(summary.error.is_some());
    }
}
