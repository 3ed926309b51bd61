//! The reducer's tests: opening, applying, links, the boot sequence, playback and seeking, as
//! sequences of `Action`s on a `State`.

use super::*;
use crate::sim::StopReason;

fn reduce(state: Rc<State>, action: Action) -> Rc<State> {
    state.reduce(action)
}

#[test]
fn opens_on_the_default_gallery_scenario() {
    let s = State::new(None);
    let default = gallery::default_example();
    assert_eq!(&*s.draft, default.text);
    assert_eq!(s.example, Some(default.id));
    assert!(s.applied.is_some());
    assert_eq!(s.seed, default.seed);
    assert!(s.diagnostics.is_empty());
    assert_eq!(s.mode, Mode::Paused);
}

#[test]
fn booting_shows_the_text_and_runs_nothing_until_boot() {
    let default = gallery::default_example();
    let s = State::booting(None);
    assert!(s.is_booting() && s.applied.is_none() && !s.can_advance());
    assert_eq!(&*s.draft, default.text);
    assert_eq!(s.example, Some(default.id));
    let s = State::booting(Some("scenario \"mine\"\n".into()));
    assert_eq!(&*s.draft, "scenario \"mine\"\n");
    assert_eq!(s.example, None);

    // Edits while booting are kept (the autosave holds them for the opening state); the
    // tab picked meanwhile survives Boot, and Boot brings a run.
    let s = reduce(
        Rc::new(State::booting(None)),
        Action::EditDraft("edited".into()),
    );
    assert!(s.is_booting() && &*s.draft == "edited");
    let s = reduce(s, Action::SelectTab(Tab::Metrics));
    let opened = State::open(None, Some("edited".into()));
    let s = reduce(s, Action::Boot(Box::new(opened)));
    assert!(!s.is_booting() && s.applied.is_some() && s.can_advance());
    assert_eq!(s.tab, Tab::Metrics);
    assert_eq!(&*s.draft, "edited");
}

#[test]
fn replacing_the_text_wholesale_is_counted_and_editing_is_not() {
    let link = link::encode_text("scenario \"theirs\" seed 2\nservice t\n");
    let s = Rc::new(State::open(
        None,
        Some("scenario \"mine\"\nservice m\n".into()),
    ));
    let n = s.replaced;
    let s = reduce(
        s,
        Action::EditDraft("scenario \"mine\"\nservice m2\n".into()),
    );
    let s = reduce(s, Action::Format);
    let s = reduce(s, Action::Apply);
    assert_eq!(
        s.replaced, n,
        "edits, Format and Apply keep the draft's slot"
    );
    let s = reduce(s, Action::LoadExample(gallery::default_example().id));
    assert_eq!(s.replaced, n + 1);
    let s = reduce(s, Action::LoadText("scenario \"old\"\n".into()));
    assert_eq!(s.replaced, n + 2);
    let s = reduce(s, Action::OpenLink(link.clone()));
    assert_eq!(s.replaced, n + 3);
    // Boot: a new slot only when the text shown changes.
    let booting = Rc::new(State::booting(Some("mine".into())));
    let same = reduce(
        booting.clone(),
        Action::Boot(Box::new(State::open(None, Some("mine".into())))),
    );
    assert_eq!(same.replaced, booting.replaced);
    let linked = reduce(
        booting.clone(),
        Action::Boot(Box::new(State::open(Some(&link), Some("mine".into())))),
    );
    assert_eq!(&*linked.draft, "scenario \"theirs\" seed 2\nservice t\n");
    assert_eq!(linked.replaced, booting.replaced + 1);
}

#[test]
fn booting_keeps_what_the_user_did_through_boot() {
    // No run to reset or reseed while booting.
    let s = Rc::new(State::booting(None));
    assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::Reset)));
    assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::SetSeed(9))));
    // Speed and text survive a Boot built from storage that missed the edit.
    let s = reduce(s, Action::SetSpeed(4.0));
    let s = reduce(s, Action::EditDraft("typed while loading".into()));
    let s = reduce(s, Action::Boot(Box::new(State::open(None, None))));
    assert!(!s.is_booting() && s.applied.is_some());
    assert_eq!(s.speed, 4.0);
    assert_eq!(&*s.draft, "typed while loading");
    assert!(s.draft_is_dirty());
    // Someone else's link shows its own text (nothing was typed meanwhile).
    let e = &gallery::GALLERY[1];
    let s = reduce(
        Rc::new(State::booting(None)),
        Action::Boot(Box::new(State::open(
            Some(&link::encode_text(e.text)),
            None,
        ))),
    );
    assert_eq!(&*s.draft, e.text);
}

#[test]
fn a_link_opened_while_booting_survives_boot() {
    // The host page opens a link that does not decode while the page boots: its banner and
    // the held URL survive Boot.
    let s = reduce(
        Rc::new(State::booting(None)),
        Action::OpenLink("s=1.%%%".into()),
    );
    assert!(s.is_booting() && s.link_error.is_some());
    let s = reduce(s, Action::Boot(Box::new(State::open(None, None))));
    assert!(!s.is_booting() && s.link_error.is_some() && s.hold_url);
    // A link whose text does not compile: its text stays, autosave held (the user's own
    // saved draft is not overwritten).
    let broken = link::encode_text("scenario \"theirs\"\nservice");
    let s = reduce(Rc::new(State::booting(None)), Action::OpenLink(broken));
    assert!(s.is_booting() && s.hold_autosave);
    let s = reduce(
        s,
        Action::Boot(Box::new(State::open(None, Some("mine".into())))),
    );
    assert!(!s.is_booting() && s.hold_autosave);
    assert_eq!(&*s.draft, "scenario \"theirs\"\nservice");
    // Edits made while someone else's link was loading are the user's and stay.
    let e = &gallery::GALLERY[1];
    let s = reduce(
        Rc::new(State::booting(None)),
        Action::EditDraft("typed".into()),
    );
    let s = reduce(
        s,
        Action::Boot(Box::new(State::open(
            Some(&link::encode_text(e.text)),
            None,
        ))),
    );
    assert_eq!(&*s.draft, "typed");
    assert!(!s.hold_autosave);
}

#[test]
fn a_broken_apply_while_booting_still_gets_a_run_from_boot() {
    let s = reduce(
        Rc::new(State::booting(None)),
        Action::EditDraft("scenario \"x\"\nservice".into()),
    );
    let s = reduce(s, Action::Apply);
    assert!(s.is_booting() && s.applied.is_none() && !s.diagnostics.is_empty());
    let s = reduce(
        s,
        Action::Boot(Box::new(State::open(
            None,
            Some("scenario \"x\"\nservice".into()),
        ))),
    );
    assert!(
        !s.is_booting() && s.applied.is_some(),
        "the default scenario runs"
    );
    assert!(
        !s.diagnostics.is_empty(),
        "the broken draft keeps its diagnostics"
    );
}

#[test]
fn boot_is_ignored_once_something_was_applied() {
    let s = reduce(Rc::new(State::booting(None)), Action::Apply);
    assert!(!s.is_booting() && s.applied.is_some());
    let run_id = s.run_id;
    let s = reduce(s, Action::Boot(Box::new(State::new(None))));
    assert_eq!(s.run_id, run_id, "a late Boot replaced the applied run");
}

#[test]
fn a_saved_draft_is_restored_even_when_it_does_not_compile() {
    let s = State::new(Some("scenario \"x\" seed 1\nservice".to_string()));
    assert_eq!(&*s.draft, "scenario \"x\" seed 1\nservice");
    assert!(!s.diagnostics.is_empty(), "diagnostics shown");
    // The default scenario still runs.
    assert_eq!(
        &*s.applied.as_ref().expect("a run").text,
        gallery::default_example().text
    );
}

#[test]
fn invalid_apply_keeps_the_last_good_run() {
    let s = Rc::new(State::new(None));
    let before = s.applied.clone();
    let run_id = s.run_id;
    let s = reduce(
        s,
        Action::EditDraft("scenario \"x\"\nservice a workers zero\n".into()),
    );
    let s = reduce(s, Action::Apply);
    assert!(!s.diagnostics.is_empty());
    assert_eq!(s.applied, before);
    assert_eq!(s.run_id, run_id);
    let d = &s.diagnostics[0];
    assert!(d.line >= 1 && d.col >= 1);
}

#[test]
fn a_good_apply_starts_a_new_run() {
    let s = Rc::new(State::new(None));
    let text = gallery::GALLERY[1].text.to_string();
    let s = reduce(s, Action::EditDraft(text.clone()));
    assert_eq!(s.example, Some(gallery::GALLERY[1].id));
    let run_id = s.run_id;
    let s = reduce(s, Action::Apply);
    assert_eq!(s.run_id, run_id + 1);
    assert_eq!(&*s.applied.as_ref().expect("applied").text, text.as_str());
    assert_eq!(s.seed, gallery::GALLERY[1].seed);
    assert_eq!(s.clock.run_id, s.run_id);
}

#[test]
fn unchanged_actions_return_the_same_state() {
    let s = Rc::new(State::new(None));
    let same = reduce(s.clone(), Action::SelectTab(Tab::Topology));
    assert!(Rc::ptr_eq(&s, &same));
    let same = reduce(s.clone(), Action::Advanced(s.clock));
    assert!(Rc::ptr_eq(&s, &same));
    let stale = Clock {
        run_id: s.run_id + 7,
        events: 5,
        ..s.clock
    };
    assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::Advanced(stale))));
}

#[test]
fn a_finished_run_pauses_and_cannot_play() {
    let s = Rc::new(State::new(None));
    let s = reduce(s, Action::TogglePlay);
    assert_eq!(s.mode, Mode::Playing);
    let done = Clock {
        stop: Some(StopReason::Finished {
            at: s.clock.duration,
        }),
        now: s.clock.duration,
        ..s.clock
    };
    let s = reduce(s, Action::Advanced(done));
    assert_eq!(s.mode, Mode::Paused);
    let again = reduce(s.clone(), Action::TogglePlay);
    assert!(Rc::ptr_eq(&s, &again));
    let s = reduce(s, Action::Reset);
    assert_eq!(s.clock.stop, None);
    assert_eq!(reduce(s, Action::TogglePlay).mode, Mode::Playing);
}

#[test]
fn a_seek_goes_forward_over_frames_then_pauses_or_plays() {
    let s = Rc::new(State::new(None));
    let at = |s: &State, secs: u64| Clock {
        now: SimTime::from_secs(secs),
        built: true,
        ..s.clock
    };
    let t = SimTime::from_secs(5);
    let s = reduce(s, Action::SeekTo(t));
    assert_eq!(
        s.mode,
        Mode::SeekTo {
            t,
            then_play: false
        }
    );
    assert_eq!(s.mode.busy_progress(&s.clock), Some(0.0));
    // A frame that got part of the way: still seeking.
    let s = reduce(s.clone(), Action::Advanced(at(&s, 2)));
    assert_eq!(
        s.mode,
        Mode::SeekTo {
            t,
            then_play: false
        }
    );
    assert_eq!(s.mode.busy_progress(&s.clock), Some(0.4));
    // There: paused.
    let s = reduce(s.clone(), Action::Advanced(at(&s, 5)));
    assert_eq!(s.mode, Mode::Paused);
    assert_eq!(s.mode.busy_progress(&s.clock), None);
    // Backward: nothing here (it is a replay from zero, in app.rs).
    assert!(Rc::ptr_eq(
        &s,
        &reduce(s.clone(), Action::SeekTo(SimTime::from_secs(1)))
    ));
    // To the present: one frame finishes what is due now, then pauses.
    let s = reduce(s, Action::SeekTo(t));
    assert_eq!(
        s.mode,
        Mode::SeekTo {
            t,
            then_play: false
        }
    );
    let s = reduce(s.clone(), Action::Advanced(at(&s, 5)));
    assert_eq!(s.mode, Mode::Paused);

    // Autoplay asked on the way: it plays once there.
    let t = SimTime::from_secs(9);
    let s = reduce(s, Action::SeekTo(t));
    let s = reduce(s, Action::Play);
    assert_eq!(s.mode, Mode::SeekTo { t, then_play: true });
    let s = reduce(s.clone(), Action::Advanced(at(&s, 9)));
    assert_eq!(s.mode, Mode::Playing);

    // Cancel (Pause, Space) stops a seek where it is; so does the end of the run.
    let s = reduce(s, Action::Pause);
    let s = reduce(s, Action::SeekTo(SimTime::from_secs(20)));
    assert_eq!(reduce(s.clone(), Action::Pause).mode, Mode::Paused);
    // Play (button or Space) on the way: play once there; again: stay paused there.
    let t20 = SimTime::from_secs(20);
    let s = reduce(s, Action::TogglePlay);
    assert_eq!(
        s.mode,
        Mode::SeekTo {
            t: t20,
            then_play: true
        }
    );
    let s = reduce(s, Action::TogglePlay);
    assert_eq!(
        s.mode,
        Mode::SeekTo {
            t: t20,
            then_play: false
        }
    );
    let done = Clock {
        stop: Some(StopReason::Finished {
            at: SimTime::from_secs(12),
        }),
        ..at(&s, 12)
    };
    assert_eq!(reduce(s.clone(), Action::Advanced(done)).mode, Mode::Paused);
    // A new run (Reset, Apply, seed) drops the seek.
    assert_eq!(reduce(s, Action::Reset).mode, Mode::Paused);
}

#[test]
fn a_full_trace_pauses_for_good() {
    let s = Rc::new(State::new(None));
    let s = reduce(s, Action::TogglePlay);
    let full = Clock {
        records: TRACE_LIMIT,
        built: true,
        ..s.clock
    };
    let s = reduce(s, Action::Advanced(full));
    assert_eq!(s.mode, Mode::Paused);
    assert!(!s.can_advance());
    assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::TogglePlay)));
}

#[test]
fn a_new_seed_resets_and_survives_edits_that_keep_the_written_seed() {
    let s = Rc::new(State::new(None));
    let s = reduce(s, Action::SetSeed(99));
    assert_eq!(s.seed, 99);
    let edited = format!("{}\n# a comment\n", s.draft);
    let s = reduce(s, Action::EditDraft(edited));
    let s = reduce(s, Action::Apply);
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    assert_eq!(s.seed, 99);
}

#[test]
fn gallery_picks_load_and_run() {
    let s = Rc::new(State::new(None));
    for e in gallery::GALLERY {
        let s = reduce(s.clone(), Action::LoadExample(e.id));
        assert_eq!(&*s.draft, e.text);
        assert_eq!(s.example, Some(e.id));
        assert!(s.diagnostics.is_empty(), "{}: {:?}", e.id, s.diagnostics);
        assert_eq!(s.seed, e.seed);
    }
}

#[test]
fn a_link_opens_its_scenario_and_seed_and_holds_autosave_until_applied() {
    let e = &gallery::GALLERY[2];
    let frag = link::encode_text(e.text);
    let s = Rc::new(State::open(Some(&frag), Some("my own draft".into())));
    assert_eq!(&*s.draft, e.text);
    assert_eq!(&*s.applied.as_ref().expect("run").text, e.text);
    assert_eq!(s.seed, e.seed);
    assert!(s.hold_autosave && !s.hold_url && s.link_error.is_none());
    assert_eq!(s.link_fragment().as_deref(), Some(frag.as_str()));
    let s = reduce(s, Action::Apply);
    assert!(!s.hold_autosave);
}

#[test]
fn a_bad_link_shows_why_and_opens_the_autosave() {
    let saved = gallery::GALLERY[1].text.to_string();
    let s = State::open(Some("s=1.garbage!!"), Some(saved.clone()));
    assert!(s
        .link_error
        .as_deref()
        .is_some_and(|m| m.contains("damaged")));
    assert_eq!(&*s.draft, saved.as_str());
    assert!(s.hold_url && !s.hold_autosave);
    let s = State::open(Some("s=9.abc"), None);
    assert_eq!(&*s.draft, gallery::default_example().text);
    assert!(s.link_error.is_some());
    let s = Rc::new(s);
    let s = reduce(s, Action::DismissLinkError);
    assert!(s.link_error.is_none());
}

#[test]
fn an_invalid_link_keeps_its_text_in_the_editor() {
    let text = "scenario \"x\" seed 1\nservice a workers zero\n";
    let frag = link::encode_text(text);
    let s = State::open(Some(&frag), Some("mine".into()));
    assert_eq!(&*s.draft, text);
    assert!(!s.diagnostics.is_empty());
    assert!(s.link_error.is_some());
    assert!(s.hold_autosave && s.hold_url);
    assert_eq!(
        &*s.applied.as_ref().expect("default run").text,
        gallery::default_example().text
    );
}

#[test]
fn no_link_in_the_fragment_is_an_ordinary_open() {
    let s = State::open(Some(""), None);
    assert!(s.link_error.is_none() && !s.hold_autosave);
    let s = State::open(Some("view=log"), None);
    assert!(s.link_error.is_none());
}

#[test]
fn the_link_carries_a_toolbar_seed() {
    let s = Rc::new(State::new(None));
    let s = reduce(s, Action::SetSeed(4242));
    let frag = s.link_fragment().expect("fragment");
    let o = State::open(Some(&frag), None);
    assert_eq!(o.seed, 4242);
}

#[test]
fn a_host_page_load_opens_the_link_with_its_own_seed() {
    let s = Rc::new(State::new(None));
    let s = reduce(s, Action::SetSeed(7));
    let s = reduce(s, Action::TogglePlay);
    assert_eq!(s.mode, Mode::Playing);
    let e = &gallery::GALLERY[3];
    let s = reduce(s, Action::OpenLink(link::encode_text(e.text)));
    assert_eq!(&*s.applied.as_ref().expect("run").text, e.text);
    assert_eq!(s.seed, e.seed, "the link's seed, not the toolbar's");
    assert_eq!(s.mode, Mode::Paused);
    assert!(s.hold_autosave && s.link_error.is_none());
}

#[test]
fn a_bad_host_page_load_keeps_the_run_and_says_why() {
    let s = Rc::new(State::new(None));
    let (run_id, applied) = (s.run_id, s.applied.clone());
    let s = reduce(s, Action::OpenLink("s=1.%%%".into()));
    assert!(s.link_error.is_some());
    assert_eq!((s.run_id, s.applied.clone()), (run_id, applied));
    let s = reduce(s, Action::OpenLink(String::new()));
    assert!(
        s.link_error.is_some(),
        "an empty fragment is a bad link too"
    );
}

#[test]
fn play_only_starts() {
    let s = Rc::new(State::new(None));
    let s = reduce(s, Action::Play);
    assert_eq!(s.mode, Mode::Playing);
    let again = reduce(s.clone(), Action::Play);
    assert!(Rc::ptr_eq(&s, &again), "playing stays playing");
}
