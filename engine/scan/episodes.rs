//! Connection attempts: the recognised lines and events of one attempt grouped by what ties
//! them together (a FreeRDP thread, an event ActivityID, a session, a client address), each
//! with its ordered steps and the diagnosis of the step that ended it.

use std::collections::HashMap;

use serde::Serialize;

use super::{Level, Seen};

/// How many attempts stay open at once; past it the half idle longest are closed.
const OPEN: usize = 1024;

/// How many closed attempts are kept for the report (the rest are only counted).
const KEPT: usize = 1000;

/// How many steps an attempt lists: the first ones and its last one.
const STEPS: usize = 8;

/// Events of one key further apart than this (in seconds, where both times are known) belong
/// to two attempts.
const GAP_SECONDS: i64 = 600;

/// One step of an attempt: a recognised line or event.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Where.
    #[serde(flatten)]
    pub seen: Seen,
    /// Its level.
    pub level: Level,
    /// What it was recognised as (`rule` or `catalog` id).
    pub id: String,
    /// Its title.
    pub title: String,
}

/// One connection attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Episode {
    /// What ties its steps together: `thread 1234:5678`, `activity {f420...}`,
    /// `session 3 on RDS1`, `client 10.0.0.7 on RDS1`.
    pub key: String,
    /// Where it starts.
    pub first: Seen,
    /// Where it ends.
    pub last: Seen,
    /// How many steps it has.
    pub count: u64,
    /// The users its events name.
    pub users: Vec<String>,
    /// The client addresses its events name.
    pub clients: Vec<String>,
    /// The computer that logged its events, when they say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer: Option<String>,
    /// The first steps and the last one, in order.
    pub steps: Vec<Step>,
    /// The step that ended it: its last step of the highest level. An attempt whose worst
    /// step is informational went through.
    pub outcome: Step,
}

impl Episode {
    /// Whether the attempt failed: its outcome is an error or a warning.
    pub fn failed(&self) -> bool {
        self.outcome.level >= Level::Warning
    }
}

/// What a step says about who connected.
#[derive(Debug, Default, Clone)]
pub struct Who {
    /// A user name.
    pub user: Option<String>,
    /// A client address.
    pub client: Option<String>,
    /// The computer that logged the step.
    pub computer: Option<String>,
}

/// Attempts being assembled, and those closed.
#[derive(Debug, Default)]
pub struct Episodes {
    open: HashMap<String, (u64, Episode)>,
    closed: Vec<Episode>,
    /// Attempts closed but not kept, past [`KEPT`].
    pub dropped: u64,
    /// Attempts closed in all.
    pub total: u64,
    /// Of them, those that failed.
    pub failed: u64,
    tick: u64,
}

impl Episodes {
    /// Adds a step to the attempt of `key`, opening one when there is none or the last step
    /// was long ago.
    pub fn add(&mut self, key: String, step: Step, who: Who) {
        self.tick += 1;
        let tick = self.tick;
        let stale = self.open.get(&key).is_some_and(|(_, episode)| {
            apart(&episode.last.time, &step.seen.time).is_some_and(|s| s > GAP_SECONDS)
        });
        if stale {
            if let Some((_, episode)) = self.open.remove(&key) {
                self.close(episode);
            }
        }
        if !self.open.contains_key(&key) && self.open.len() >= OPEN {
            // The half idle longest is closed at once, so a log of ever-new keys costs a sort
            // per OPEN / 2 attempts, not a search per attempt.
            let mut idle: Vec<(u64, String)> = self
                .open
                .iter()
                .map(|(k, (tick, _))| (*tick, k.clone()))
                .collect();
            idle.sort_unstable();
            for (_, key) in idle.into_iter().take(OPEN / 2) {
                if let Some((_, episode)) = self.open.remove(&key) {
                    self.close(episode);
                }
            }
        }
        let (last_tick, episode) = self.open.entry(key.clone()).or_insert_with(|| {
            (
                tick,
                Episode {
                    key,
                    first: step.seen.clone(),
                    last: step.seen.clone(),
                    count: 0,
                    users: Vec::new(),
                    clients: Vec::new(),
                    computer: None,
                    steps: Vec::new(),
                    outcome: step.clone(),
                },
            )
        });
        *last_tick = tick;
        if episode.computer.is_none() {
            episode.computer = who.computer;
        }
        episode.count += 1;
        episode.last = step.seen.clone();
        for (list, value) in [
            (&mut episode.users, who.user),
            (&mut episode.clients, who.client),
        ] {
            if let Some(value) = value {
                if list.len() < 8 && !list.iter().any(|v| v.eq_ignore_ascii_case(&value)) {
                    list.push(value);
                }
            }
        }
        if step.level >= episode.outcome.level {
            episode.outcome = step.clone();
        }
        if episode.steps.len() < STEPS {
            episode.steps.push(step);
        } else {
            episode.steps[STEPS - 1] = step;
        }
    }

    fn close(&mut self, episode: Episode) {
        self.total += 1;
        self.failed += u64::from(episode.failed());
        if self.closed.len() < KEPT {
            self.closed.push(episode);
        } else {
            self.dropped += 1;
        }
    }

    /// Closes every attempt and returns those kept, in the order they started.
    pub fn finish(mut self) -> (Vec<Episode>, Episodes) {
        let mut open: Vec<(u64, Episode)> = self.open.drain().map(|(_, v)| v).collect();
        open.sort_by_key(|(tick, _)| *tick);
        for (_, episode) in open {
            self.close(episode);
        }
        let mut closed = std::mem::take(&mut self.closed);
        closed.sort_by(|a, b| {
            (a.first.input.as_str(), a.first.line).cmp(&(b.first.input.as_str(), b.first.line))
        });
        (closed, self)
    }
}

/// Seconds from one time to another, when both are full dates and times.
fn apart(from: &Option<String>, to: &Option<String>) -> Option<i64> {
    Some(seconds(to.as_deref()?)? - seconds(from.as_deref()?)?)
}

/// A time as seconds since 1970 (its zone ignored): ISO 8601 read directly (event logs write
/// every time so), other dated forms through [`super::sortable_time`].
fn seconds(time: &str) -> Option<i64> {
    let iso = time.as_bytes();
    let sortable;
    let text = if iso.len() >= 19 && iso[4] == b'-' && iso[7] == b'-' && iso[13] == b':' {
        time
    } else {
        sortable = super::sortable_time(time)?;
        &sortable
    };
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u8>().ok();
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month = time::Month::try_from(number(5..7)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, number(8..10)?).ok()?;
    let clock = time::Time::from_hms(number(11..13)?, number(14..16)?, number(17..19)?).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(line: u64, time: &str, level: Level, id: &str) -> Step {
        Step {
            seen: Seen {
                input: "log".into(),
                line,
                time: Some(time.into()),
                record: None,
            },
            level,
            id: id.into(),
            title: id.into(),
        }
    }

    #[test]
    fn steps_are_grouped_by_key_and_time() {
        let mut episodes = Episodes::default();
        let who = Who::default;
        episodes.add(
            "a".into(),
            step(1, "2024-01-05T10:00:00Z", Level::Info, "start"),
            who(),
        );
        episodes.add(
            "b".into(),
            step(2, "2024-01-05T10:00:01Z", Level::Info, "start"),
            who(),
        );
        episodes.add(
            "a".into(),
            step(3, "2024-01-05T10:00:02Z", Level::Error, "denied"),
            who(),
        );
        episodes.add(
            "a".into(),
            step(4, "2024-01-05T10:00:03Z", Level::Info, "closed"),
            who(),
        );
        // An hour later, the same key is a new attempt.
        episodes.add(
            "a".into(),
            step(5, "2024-01-05T11:00:00Z", Level::Info, "start"),
            who(),
        );
        let (kept, totals) = episodes.finish();
        assert_eq!((totals.total, totals.failed), (3, 1));
        let lines: Vec<(u64, u64, &str)> = kept
            .iter()
            .map(|e| (e.first.line, e.count, e.outcome.id.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![(1, 3, "denied"), (2, 1, "start"), (5, 1, "start")]
        );
    }
}
