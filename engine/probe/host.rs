//! Where the host API's answers come from: the network, with every call written down, or a
//! recording of such calls, so that a replay runs the current probe scripts again offline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::net::NetErrorKind;

/// One call of the host API and what it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostCall {
    /// The probe that made the call.
    pub probe: String,
    /// The function: `resolve`, `tcp_connect`, `rdp_negotiate`, `tls_certificate`, `credssp`,
    /// `https_probe` or `now`.
    pub function: String,
    /// Its arguments, as the script passed them.
    pub args: Vec<Value>,
    /// What the function returned to the script.
    pub answer: Value,
}

/// The source of the host API's answers for one probe run.
#[derive(Debug, Clone)]
pub enum Host {
    /// Ask the network, and write every call down.
    Live(Arc<Mutex<Vec<HostCall>>>),
    /// Answer from a recording: a call gets the recorded answer of the same function with the
    /// same arguments, repeated calls the recorded answers in their order.
    Replay(Arc<Replay>),
}

impl Host {
    /// A live host with an empty journal.
    pub fn live() -> Host {
        Host::Live(Arc::default())
    }

    /// A host that answers from `calls`.
    pub fn replay(calls: Vec<HostCall>) -> Host {
        Host::Replay(Arc::new(Replay::new(calls)))
    }

    /// The calls made so far (empty for a replay).
    pub fn journal(&self) -> Vec<HostCall> {
        match self {
            Host::Live(journal) => journal.lock().map(|j| j.clone()).unwrap_or_default(),
            Host::Replay(_) => Vec::new(),
        }
    }

    /// The answer to `function(args)` made by `probe`: `live()` on a live host (written down),
    /// the recorded answer on a replay.
    pub fn answer(
        &self,
        probe: &str,
        function: &str,
        args: Vec<Value>,
        live: impl FnOnce() -> Value,
    ) -> Value {
        match self {
            Host::Live(journal) => {
                let answer = live();
                if let Ok(mut journal) = journal.lock() {
                    journal.push(HostCall {
                        probe: probe.to_string(),
                        function: function.to_string(),
                        args,
                        answer: answer.clone(),
                    });
                }
                answer
            }
            Host::Replay(replay) => replay.answer(function, &args),
        }
    }
}

/// Recorded calls, consumed in order per function and arguments.
#[derive(Debug)]
pub struct Replay {
    answers: Mutex<HashMap<String, std::collections::VecDeque<Value>>>,
}

impl Replay {
    fn new(calls: Vec<HostCall>) -> Replay {
        let mut answers: HashMap<String, std::collections::VecDeque<Value>> = HashMap::new();
        for call in calls {
            answers
                .entry(key(&call.function, &call.args))
                .or_default()
                .push_back(call.answer);
        }
        Replay {
            answers: Mutex::new(answers),
        }
    }

    /// The next recorded answer; the last one again when a call is repeated more often than it
    /// was recorded; a `not_recorded` failure when it never was.
    fn answer(&self, function: &str, args: &[Value]) -> Value {
        let key = key(function, args);
        let mut answers = match self.answers.lock() {
            Ok(answers) => answers,
            Err(poisoned) => poisoned.into_inner(),
        };
        match answers.get_mut(&key) {
            Some(queue) if queue.len() > 1 => queue.pop_front().unwrap_or(Value::Null),
            Some(queue) if !queue.is_empty() => queue[0].clone(),
            _ => json!({
                "ok": false,
                "error": NetErrorKind::NotRecorded.as_str(),
                "message": format!("the recording holds no answer to {key}"),
            }),
        }
    }
}

/// `function(arg, ...)`, the arguments as JSON.
fn key(function: &str, args: &[Value]) -> String {
    let args: Vec<String> = args.iter().map(Value::to_string).collect();
    format!("{function}({})", args.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_answers_in_recorded_order_and_names_what_is_missing() {
        let live = Host::live();
        let mut n = 0;
        for _ in 0..2 {
            live.answer("dns", "resolve", vec![json!("a")], || {
                n += 1;
                json!({ "ok": true, "n": n })
            });
        }
        let calls = live.journal();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1].answer, json!({ "ok": true, "n": 2 }));

        let replay = Host::replay(calls);
        let never = || -> Value { panic!("a replay never asks the network") };
        let ask = |host: &str| replay.answer("dns", "resolve", vec![json!(host)], never);
        assert_eq!(ask("a")["n"], 1);
        assert_eq!(ask("a")["n"], 2);
        assert_eq!(ask("a")["n"], 2, "the last answer repeats");
        let missing = ask("b");
        assert_eq!(missing["error"], "not_recorded");
        assert_eq!(
            missing["message"],
            "the recording holds no answer to resolve(\"b\")"
        );
    }
}
