//! The host-page API: when the app runs in an iframe, the page around it drives it with
//! `postMessage` commands (`play`, `pause`, `step`, `seek`, `load`, `setSpeed`) and hears
//! `ready`, `tick`, `finished` and `error` events back. `Command::parse` is pure; the JS glue
//! only copies the four fields it reads out of the message. See docs/embedding.md.

use std::cell::Cell;

use wasm_bindgen::{JsCast, JsValue};

use super::dom::Listener;
use super::embed::{MAX_SPEED, MIN_SPEED};
use crate::scenario::units::parse_duration;
use crate::sim::SimTime;

/// The `source` field of every event the app sends, so a host can tell them from other traffic.
pub const SOURCE: &str = "switchboard";

/// Longest `load` fragment accepted; the link codec refuses anything near this long anyway.
const MAX_FRAGMENT: usize = 4 << 20;

/// One field of an incoming message, as far as the parser cares.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Missing,
    Num(f64),
    Text(String),
    /// Present but neither a number nor a string (object, boolean, null…).
    Other,
}

/// A command from the host page, checked and ready to run.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Play,
    Pause,
    Step,
    /// Move to this simulated time (forward by running, backward by replaying from zero).
    Seek(SimTime),
    /// Open a share-link fragment (`s=1.…`, with or without `#`).
    Load(String),
    SetSpeed(f64),
}

/// The fields of a message the parser reads: `type`, and the argument of each command.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub kind: Arg,
    pub t: Arg,
    pub fragment: Arg,
    pub x: Arg,
}

impl Command {
    /// The command `m` asks for, or why it is not one. Nothing about a bad message is guessed:
    /// an unknown `type`, a missing or ill-typed argument, or an out-of-range value is refused.
    pub fn parse(m: &Message) -> Result<Command, String> {
        let Arg::Text(kind) = &m.kind else {
            return Err("no string `type` field".into());
        };
        Ok(match kind.as_str() {
            "play" => Command::Play,
            "pause" => Command::Pause,
            "step" => Command::Step,
            "seek" => Command::Seek(match &m.t {
                // Milliseconds of simulated time, the unit `tick` reports.
                Arg::Num(ms) if ms.is_finite() && *ms >= 0.0 && *ms <= 1e15 => {
                    SimTime::from_micros_f64(ms * 1_000.0)
                }
                Arg::Text(s) => SimTime::from_micros(
                    parse_duration(s)
                        .map_err(|_| "seek: `t` is not a duration like \"12s\"".to_string())?
                        .0,
                ),
                _ => {
                    return Err(
                        "seek needs `t`: milliseconds (number) or a duration (\"12s\")".into(),
                    )
                }
            }),
            "load" => match &m.fragment {
                Arg::Text(f) if f.len() <= MAX_FRAGMENT => {
                    Command::Load(f.strip_prefix('#').unwrap_or(f).to_string())
                }
                Arg::Text(_) => return Err("load: `fragment` is too long".into()),
                _ => return Err("load needs `fragment`: a share-link fragment (\"s=1.…\")".into()),
            },
            "setSpeed" => match m.x {
                Arg::Num(x) if x.is_finite() && x > 0.0 => {
                    Command::SetSpeed(x.clamp(MIN_SPEED, MAX_SPEED))
                }
                _ => return Err("setSpeed needs `x`: a positive number".into()),
            },
            // The name is not echoed: it is the host's text, of any length.
            _ => return Err("unknown command `type`".into()),
        })
    }
}

fn field(data: &JsValue, key: &str) -> Arg {
    let Ok(v) = js_sys::Reflect::get(data, &JsValue::from_str(key)) else {
        return Arg::Other;
    };
    if v.is_undefined() {
        Arg::Missing
    } else if let Some(n) = v.as_f64() {
        Arg::Num(n)
    } else if let Some(s) = v.as_string() {
        Arg::Text(s)
    } else {
        Arg::Other
    }
}

/// Read a message's `data`. Anything but a plain object (strings, arrays, events of other
/// libraries) is refused before any field is read.
pub fn message_of(data: &JsValue) -> Option<Message> {
    if !data.is_object() || js_sys::Array::is_array(data) || data.is_function() {
        return None;
    }
    Some(Message {
        kind: field(data, "type"),
        t: field(data, "t"),
        fragment: field(data, "fragment"),
        x: field(data, "x"),
    })
}

/// The page that frames this one, if any (a top-level page is its own parent).
fn parent() -> Option<web_sys::Window> {
    let w = web_sys::window()?;
    let p = w.parent().ok().flatten()?;
    (JsValue::from(p.clone()) != JsValue::from(w)).then_some(p)
}

/// Whether there is a host page to talk to.
pub fn framed() -> bool {
    parent().is_some()
}

/// An event for the host page.
pub enum Event<'a> {
    /// A run is built and waiting (on page load and after each `load`).
    Ready {
        t: SimTime,
        duration: SimTime,
    },
    Tick {
        t: SimTime,
        events: u64,
    },
    Finished {
        t: SimTime,
        events: u64,
        reason: &'a str,
    },
    Error {
        message: &'a str,
    },
}

fn ms(t: SimTime) -> JsValue {
    JsValue::from_f64(t.0 as f64 / 1_000.0)
}

/// Send `event` to the host page (nothing when not framed). The target origin is `*`: the
/// events carry only what the embedded page shows anyway.
pub fn post(event: Event) {
    let Some(p) = parent() else {
        return;
    };
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("source", JsValue::from_str(SOURCE));
    let kind = match event {
        Event::Ready { t, duration } => {
            set("t", ms(t));
            set("duration", ms(duration));
            "ready"
        }
        Event::Tick { t, events } => {
            set("t", ms(t));
            set("events", JsValue::from_f64(events as f64));
            "tick"
        }
        Event::Finished { t, events, reason } => {
            set("t", ms(t));
            set("events", JsValue::from_f64(events as f64));
            set("reason", JsValue::from_str(reason));
            "finished"
        }
        Event::Error { message } => {
            set("message", JsValue::from_str(message));
            "error"
        }
    };
    set("type", JsValue::from_str(kind));
    let _ = p.post_message(&o, "*");
}

thread_local! {
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// Say once per page, on the console, that a message was ignored and why; the host's own
/// traffic (other libraries' messages) must not flood the console.
fn warn_once(why: &str) {
    if !WARNED.with(|w| w.replace(true)) {
        web_sys::console::warn_1(&JsValue::from_str(&format!(
            "Switchboard ignored a message from the host page ({why}); later ones are ignored silently. See docs/embedding.md."
        )));
    }
}

/// Listen for commands from the host page; `run` gets each well-formed one. Messages from any
/// other window (including this one) are not commands and are dropped unread.
pub fn listen(mut run: impl FnMut(Command) + 'static) -> Option<Listener> {
    parent()?;
    Listener::on_window("message", move |e: web_sys::Event| {
        let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
            return;
        };
        let from_parent = match (e.source(), parent()) {
            (Some(s), Some(p)) => JsValue::from(s) == JsValue::from(p),
            _ => false,
        };
        if !from_parent {
            return;
        }
        let Some(m) = message_of(&e.data()) else {
            warn_once("not an object with a `type`");
            return;
        };
        match Command::parse(&m) {
            Ok(c) => run(c),
            Err(why) => warn_once(&why),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: &str) -> Message {
        Message {
            kind: Arg::Text(kind.into()),
            t: Arg::Missing,
            fragment: Arg::Missing,
            x: Arg::Missing,
        }
    }

    #[test]
    fn plain_commands() {
        assert_eq!(Command::parse(&msg("play")), Ok(Command::Play));
        assert_eq!(Command::parse(&msg("pause")), Ok(Command::Pause));
        assert_eq!(Command::parse(&msg("step")), Ok(Command::Step));
    }

    #[test]
    fn seek_takes_milliseconds_or_a_duration() {
        let seek = |t: Arg| Command::parse(&Message { t, ..msg("seek") });
        assert_eq!(
            seek(Arg::Num(1500.0)),
            Ok(Command::Seek(SimTime::from_millis(1500)))
        );
        assert_eq!(seek(Arg::Num(0.0)), Ok(Command::Seek(SimTime::ZERO)));
        assert_eq!(
            seek(Arg::Text("12s".into())),
            Ok(Command::Seek(SimTime::from_secs(12)))
        );
        for bad in [
            Arg::Missing,
            Arg::Other,
            Arg::Num(-1.0),
            Arg::Num(f64::NAN),
            Arg::Num(f64::INFINITY),
            Arg::Num(1e300),
            Arg::Text("12".into()),
            Arg::Text("soon".into()),
            Arg::Text("-3s".into()),
        ] {
            assert!(seek(bad.clone()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn load_strips_the_hash_and_needs_a_string() {
        let load = |fragment: Arg| {
            Command::parse(&Message {
                fragment,
                ..msg("load")
            })
        };
        assert_eq!(
            load(Arg::Text("#s=1.abc".into())),
            Ok(Command::Load("s=1.abc".into()))
        );
        assert_eq!(
            load(Arg::Text("s=1.abc".into())),
            Ok(Command::Load("s=1.abc".into()))
        );
        assert!(load(Arg::Missing).is_err());
        assert!(load(Arg::Num(1.0)).is_err());
        assert!(load(Arg::Text("x".repeat(MAX_FRAGMENT + 1))).is_err());
    }

    #[test]
    fn set_speed_is_clamped_and_checked() {
        let speed = |x: Arg| {
            Command::parse(&Message {
                x,
                ..msg("setSpeed")
            })
        };
        assert_eq!(speed(Arg::Num(2.0)), Ok(Command::SetSpeed(2.0)));
        assert_eq!(speed(Arg::Num(1e9)), Ok(Command::SetSpeed(MAX_SPEED)));
        assert_eq!(speed(Arg::Num(1e-9)), Ok(Command::SetSpeed(MIN_SPEED)));
        for bad in [
            Arg::Missing,
            Arg::Num(0.0),
            Arg::Num(-2.0),
            Arg::Num(f64::NAN),
            Arg::Text("2".into()),
        ] {
            assert!(speed(bad.clone()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for kind in [
            Arg::Missing,
            Arg::Other,
            Arg::Num(1.0),
            Arg::Text("".into()),
            Arg::Text("Play".into()),
            Arg::Text("eval".into()),
            Arg::Text("__proto__".into()),
        ] {
            let m = Message {
                kind: kind.clone(),
                ..msg("")
            };
            assert!(Command::parse(&m).is_err(), "{kind:?}");
        }
    }
}
