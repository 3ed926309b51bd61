//! The user's text kept across reloads, tabs and refusals: where each tab's draft is saved, which
//! draft a page opens on, the history's records, and whether saving works at all (for the note
//! that says so). Framed or embedded pages never read or write any of it.
//!
//! ```text
//!   sessionStorage (this tab only)         localStorage (every tab)
//!   switchboard.tab    this tab's id       switchboard.draft      newest draft of any tab
//!   switchboard.draft  this tab's draft    switchboard.draft.tab  the tab that wrote it
//!   switchboard.link   this tab's link     switchboard.link       newest link of any tab
//!                                          switchboard.history    `history::History`
//!                                          switchboard.custom     own text before a gallery pick
//! ```
//!
//! Text is saved once it is edited. A reload opens the tab's own draft, unless this tab also
//! wrote the newest one (then that: it may have been set from elsewhere since); a new tab opens
//! the newest. One tab's saves never touch another tab's draft, and every tab's latest draft is
//! in the history.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use super::dom::Listener;
use super::embed::EmbedOptions;
use super::history::{Entry, History, Kind};
use super::host;
use super::state::State;
use super::storage::{self, Area, Refusal};

const TAB_KEY: &str = "switchboard.tab";
const TAB_DRAFT_KEY: &str = "switchboard.draft";
const DRAFT_KEY: &str = "switchboard.draft";
const DRAFT_TAB_KEY: &str = "switchboard.draft.tab";
const LINK_KEY: &str = "switchboard.link";
const CUSTOM_KEY: &str = "switchboard.custom";
const HISTORY_KEY: &str = "switchboard.history";

/// A draft is written to the history once typing pauses this long (the draft itself is saved
/// on every change).
const HISTORY_PAUSE_MS: u32 = 800;

/// Whether this page keeps the user's text: not in an embed, and not in any frame — a page that
/// frames the app must not get the user's private draft run (and reported through the host API),
/// nor have its scenario replace that draft.
pub fn keeps_text(opts: &EmbedOptions) -> bool {
    !opts.embed && !host::framed()
}

/// Whether the user's text is being saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saving {
    /// This page keeps nothing (framed or embedded): nothing to warn about.
    Off,
    Saved,
    Refused(Refusal),
}

thread_local! {
    static TAB: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
    static PAGE: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

fn random_id() -> String {
    let r = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!("{:x}{r:08x}", js_sys::Date::now() as u64)
}

/// This tab's id, kept in its session storage (so a reload is the same tab); made up for this
/// page alone when there is no session storage.
fn tab_id() -> Rc<str> {
    TAB.with(|tab| {
        tab.borrow_mut()
            .get_or_insert_with(|| {
                let id = storage::load(Area::Session, TAB_KEY).unwrap_or_else(|| {
                    let id = random_id();
                    let _ = storage::set(Area::Session, TAB_KEY, &id);
                    id
                });
                Rc::from(id)
            })
            .clone()
    })
}

/// This page load's id: history slots are per load, so a reload never writes over the slot of
/// a text the tab had before.
fn page_id() -> Rc<str> {
    PAGE.with(|p| {
        p.borrow_mut()
            .get_or_insert_with(|| Rc::from(random_id()))
            .clone()
    })
}

/// The draft this page opens on (see the module doc); `None` when it keeps no text, nothing is
/// saved or storage is refused.
pub fn opening_draft(keep: bool) -> Option<String> {
    if !keep {
        return None;
    }
    let own = storage::load(Area::Session, TAB_DRAFT_KEY);
    let newest = storage::load(Area::Local, DRAFT_KEY);
    let writer = storage::load(Area::Local, DRAFT_TAB_KEY);
    match own {
        Some(own) if writer.as_deref() != Some(&*tab_id()) => Some(own),
        own => newest.or(own),
    }
}

/// Whether `fragment` is a link this browser put in its own address bar: this tab's (a reload),
/// or the newest of any tab's (a copy of the address bar opened in a new tab).
pub fn own_link(keep: bool, fragment: &str) -> bool {
    keep && !fragment.is_empty()
        && [Area::Session, Area::Local]
            .into_iter()
            .any(|a| storage::load(a, LINK_KEY).is_some_and(|l| l == fragment))
}

/// Remember `fragment` as this tab's link and the newest of any tab's.
pub fn remember_link(keep: bool, fragment: &str) {
    if keep {
        let _ = storage::set(Area::Session, LINK_KEY, fragment);
        let _ = storage::set(Area::Local, LINK_KEY, fragment);
    }
}

/// The user's own text kept when a gallery pick replaced it ("Back to your own scenario").
pub fn custom(keep: bool) -> Option<String> {
    keep.then(|| storage::load(Area::Local, CUSTOM_KEY))
        .flatten()
}

pub fn save_custom(keep: bool, text: &str) {
    if keep {
        let _ = storage::set(Area::Local, CUSTOM_KEY, text);
    }
}

/// Whether storage answers at all (before anything is saved).
fn probe(keep: bool) -> Saving {
    if !keep {
        return Saving::Off;
    }
    match storage::get(Area::Local, DRAFT_KEY) {
        Ok(_) => Saving::Saved,
        Err(r) => Saving::Refused(r),
    }
}

/// Once the text was edited in this page (`edited`), save it as this tab's draft and as the
/// newest draft. Before that a page saves nothing of it — a tab merely opened or reloaded must
/// not make its text the one new tabs open, nor its own over a newer one — but still writes its
/// tab id, to learn whether storing works. When the quota is full, the oldest history entries
/// make room, a quarter at a time.
fn save_draft(text: &str, edited: bool) -> Saving {
    let save = || {
        if edited {
            storage::set(Area::Local, DRAFT_KEY, text)
                .and_then(|()| storage::set(Area::Local, DRAFT_TAB_KEY, &tab_id()))
                .and(storage::set(Area::Session, TAB_DRAFT_KEY, text))
        } else {
            storage::set(Area::Session, TAB_KEY, &tab_id())
        }
    };
    let mut result = save();
    while result == Err(Refusal::Full) && make_room() {
        result = save();
    }
    // Saved is only as good as what can be read back (`getItem` may throw while `setItem` works);
    // a short key tells, without copying the text out again on every keystroke.
    let result = result.and_then(|()| storage::get(Area::Local, DRAFT_TAB_KEY).map(drop));
    match result {
        Ok(()) => Saving::Saved,
        Err(r) => Saving::Refused(r),
    }
}

/// Drop the oldest quarter of the history to make room; false when there is nothing to drop.
/// (Out of line, like everything the history does: the first render, which saves the draft,
/// never runs it, so it stays out of the first half of the split build; docs/size.md.)
#[inline(never)]
fn make_room() -> bool {
    let Ok(mut h) = load_history() else {
        return false;
    };
    if h.entries.is_empty() {
        return false;
    }
    let keep = h.entries.len() * 3 / 4;
    h.entries.truncate(keep);
    storage::set(Area::Local, HISTORY_KEY, &h.encode()).is_ok()
}

/// The stored history (empty when none was written yet).
#[inline(never)]
pub fn load_history() -> Result<History, Refusal> {
    Ok(storage::get(Area::Local, HISTORY_KEY)?
        .map(|s| History::decode(&s))
        .unwrap_or_default())
}

/// Add `entry` to the stored history, dropping the oldest entries while the quota is full.
/// Best effort: a history that cannot be written leaves the draft's own saving to say so.
#[inline(never)]
fn record(entry: Entry) {
    let Ok(mut h) = load_history() else {
        return;
    };
    let before = h.clone();
    h.record(entry);
    if h == before {
        return;
    }
    while storage::set(Area::Local, HISTORY_KEY, &h.encode()) == Err(Refusal::Full) {
        if !h.drop_oldest() {
            break;
        }
    }
}

/// Whether history entry `id` is a draft of this page (this tab since its last reload).
pub fn is_this_page(id: &str) -> bool {
    id.strip_prefix("d.")
        .and_then(|rest| rest.split('.').next())
        .is_some_and(|page| page == &*page_id())
}

fn draft_entry(replaced: u32, text: &str) -> Entry {
    Entry::new(
        format!("d.{}.{replaced}", page_id()),
        Kind::Draft,
        js_sys::Date::now(),
        text,
    )
}

/// Autosave for the app's state, when `keep`; how saving goes, for the note. The draft is saved
/// on every change once edited, except text just opened from someone's link
/// (`State::hold_autosave`). The history is `HistoryRecorder`'s.
#[hook]
pub fn use_drafts(state: &State, keep: bool) -> Saving {
    let saving = use_state_eq(|| probe(keep));
    // The text the page opened with, and whether it has changed since.
    let first = use_mut_ref(|| (state.draft.clone(), false));
    {
        let saving = saving.setter();
        use_effect_with(
            (state.draft.clone(), state.hold_autosave),
            move |(draft, hold)| {
                if keep && !*hold {
                    let mut first = first.borrow_mut();
                    first.1 |= first.0 != *draft;
                    saving.set(save_draft(draft, first.1));
                }
            },
        );
    }

    *saving
}

/// What keeps a draft's pending history write: written once typing pauses, or as the page goes
/// away (whichever is first); dropped, with both, at the next change.
type Pending = (gloo_timers::callback::Timeout, Option<Listener>);

/// The history's side of a change of the draft (after boot): the saved draft the page opened
/// with, first of all; the text before, at once, when it was replaced wholesale (its pending
/// write went with this change); and this text once typing pauses.
#[inline(never)]
fn draft_changed(
    last: &RefCell<Option<(u32, Rc<str>)>>,
    opened: &RefCell<bool>,
    draft: &Rc<str>,
    replaced: u32,
    hold: bool,
) -> Option<Pending> {
    if !std::mem::replace(&mut *opened.borrow_mut(), true) {
        if let Some(saved) = opening_draft(true) {
            let id = format!("d.{}.opened", page_id());
            record(Entry::new(id, Kind::Draft, js_sys::Date::now(), &saved));
        }
    }
    let before = last.borrow_mut().take();
    if let Some((slot, text)) = before {
        if slot != replaced {
            record(draft_entry(slot, &text));
        }
    }
    if hold {
        return None;
    }
    *last.borrow_mut() = Some((replaced, draft.clone()));
    let draft = draft.clone();
    let write = Rc::new(move || record(draft_entry(replaced, &draft)));
    let on_hide = {
        let write = write.clone();
        Listener::on_window("pagehide", move |_| write())
    };
    let pause = gloo_timers::callback::Timeout::new(HISTORY_PAUSE_MS, move || write());
    Some((pause, on_hide))
}

/// A new applied version (after boot): the user's, or the link they opened.
#[inline(never)]
fn applied_changed(version: u32, text: &str, from_link: bool) {
    let kind = if from_link { Kind::Link } else { Kind::Applied };
    let id = format!("v.{}.{version}", page_id());
    record(Entry::new(id, kind, js_sys::Date::now(), text));
}

#[derive(Properties, PartialEq)]
pub struct RecorderProps {
    pub draft: Rc<str>,
    /// `State::replaced`.
    pub replaced: u32,
    /// `State::hold_autosave`: the text is someone's link, not adopted yet.
    pub hold: bool,
    /// The applied version and its text.
    pub applied: Option<(u32, Rc<str>)>,
}

/// Writes the history as the app's state changes; draws nothing. The app mounts it once it has
/// booted in a page that keeps text (so none of this is in the first render): the history gets,
/// first of all, the draft saved before this page opened (a link may be showing instead of it);
/// then every applied version (or the opened link), the draft each time typing pauses, and at
/// once the text a gallery pick, restore or link replaced (`State::replaced`).
#[function_component]
pub fn HistoryRecorder(props: &RecorderProps) -> Html {
    // The slot and text of the draft last seen (None for a link's text not adopted yet), and
    // whether the saved draft the page opened with was recorded.
    let last = use_mut_ref(|| None::<(u32, Rc<str>)>);
    let opened = use_mut_ref(|| false);
    use_effect_with(
        (props.draft.clone(), props.replaced, props.hold),
        move |(draft, replaced, hold)| {
            let pending = draft_changed(&last, &opened, draft, *replaced, *hold);
            move || drop(pending)
        },
    );
    let hold = props.hold;
    use_effect_with(props.applied.clone(), move |applied| {
        if let Some((v, text)) = applied {
            applied_changed(*v, text, hold);
        }
    });
    Html::default()
}
