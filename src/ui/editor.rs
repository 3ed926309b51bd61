//! Scenario editor pane: the gallery picker with each entry's explanation, the text with a
//! line-number gutter, problems listed (line:col, message, hint) and highlighted on their lines,
//! and the Apply / Format actions. The text itself is autosaved by the app (`drafts`).

use std::rc::Rc;

use yew::prelude::*;

use super::context::use_shared;
use super::dom;
use super::drafts;
use super::state::Action;
use crate::scenario::{gallery, Diagnostic};

/// Height of one text line, in pixels (matches `.editor` in style.css).
const LINE_H: i32 = 20;
/// Top padding of the text area, in pixels.
const PAD_TOP: i32 = 10;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub draft: Rc<str>,
    pub diagnostics: Rc<Vec<Diagnostic>>,
    /// The text the diagnostics are about.
    pub checked: Rc<str>,
    pub example: Option<&'static str>,
    /// The draft differs from what runs.
    pub dirty: bool,
    /// The code that checks and runs the text has not arrived yet (`state::Phase::Booting`).
    #[prop_or_default]
    pub loading: bool,
    /// This page keeps the user's text (not framed): it may read and save the own scenario a
    /// gallery pick replaces.
    pub keeps_text: bool,
    /// The text came from someone's share link and is not yet the user's own
    /// (`State::hold_autosave`): the picker calls it a shared scenario.
    #[prop_or_default]
    pub from_link: bool,
}

/// UTF-16 offset of a 1-based (line, col-in-chars) position in `text`, for `setSelectionRange`.
fn utf16_offset(text: &str, line: usize, col: usize) -> u32 {
    let mut offset = 0usize;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            offset += l
                .chars()
                .take(col.saturating_sub(1))
                .map(char::len_utf16)
                .sum::<usize>();
            return offset as u32;
        }
        offset += l.encode_utf16().count() + 1;
    }
    offset as u32
}

#[function_component]
pub fn Editor(props: &EditorProps) -> Html {
    let shared = use_shared();
    let gutter = use_node_ref();
    let area = use_node_ref();
    let marks = use_node_ref();
    let keep = props.keeps_text;
    let has_custom = use_state(|| drafts::custom(keep).is_some());

    let on_input = {
        let dispatch = shared.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            dispatch.dispatch(Action::EditDraft(area.value()));
        })
    };
    // Keep the gutter and the problem highlights aligned with the text when it scrolls.
    let sync_scroll = {
        let (gutter, area, marks) = (gutter.clone(), area.clone(), marks.clone());
        move || {
            let Some(a) = area.cast::<web_sys::HtmlTextAreaElement>() else {
                return;
            };
            if let Some(g) = gutter.cast::<web_sys::HtmlElement>() {
                g.set_scroll_top(a.scroll_top());
            }
            if let Some(m) = marks.cast::<web_sys::HtmlElement>() {
                let t = format!("translate({}px,{}px)", -a.scroll_left(), -a.scroll_top());
                let _ = m.style().set_property("transform", &t);
            }
        }
    };
    let on_scroll = {
        let sync = sync_scroll.clone();
        Callback::from(move |_: Event| sync())
    };
    use_effect(sync_scroll);
    {
        let (gutter, marks) = (gutter.clone(), marks.clone());
        use_effect(move || {
            for r in [&gutter, &marks] {
                if let Some(el) = r.cast::<web_sys::Element>() {
                    dom::apply_css(&el);
                }
            }
        });
    }

    let on_pick = {
        let dispatch = shared.dispatch.clone();
        let draft = props.draft.clone();
        let is_custom = props.example.is_none();
        let has_custom = has_custom.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            if value == "restore" {
                if let Some(text) = drafts::custom(keep) {
                    dispatch.dispatch(Action::LoadText(text));
                }
                return;
            }
            if let Some(example) = gallery::find(&value) {
                // The user's own text is kept, so picking a gallery entry never loses it.
                if keep && is_custom && !draft.trim().is_empty() {
                    drafts::save_custom(keep, &draft);
                    has_custom.set(true);
                }
                dispatch.dispatch(Action::LoadExample(example.id));
            }
        })
    };
    let on_restore = {
        let dispatch = shared.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(text) = drafts::custom(keep) {
                dispatch.dispatch(Action::LoadText(text));
            }
        })
    };
    let click = |a: Action| {
        let d = shared.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(a.clone()))
    };
    let jump_to = |d: &Diagnostic| {
        let area = area.clone();
        let text = props.checked.clone();
        let (line, col, end_line, end_col) = (d.line, d.col, d.end_line, d.end_col);
        Callback::from(move |_: MouseEvent| {
            let Some(a) = area.cast::<web_sys::HtmlTextAreaElement>() else {
                return;
            };
            let start = utf16_offset(&text, line, col);
            let end = utf16_offset(&text, end_line, end_col).max(start);
            let _ = a.focus();
            let _ = a.set_selection_range(start, end);
            a.set_scroll_top((line as i32 - 1) * LINE_H - 3 * LINE_H);
        })
    };

    let lines = props.draft.split('\n').count().max(1);
    let stale = !props.diagnostics.is_empty() && props.checked != props.draft;
    let mut bad_lines: Vec<usize> = props.diagnostics.iter().map(|d| d.line).collect();
    bad_lines.sort_unstable();
    bad_lines.dedup();
    let numbers = use_memo(lines, |&lines| {
        let mut s = String::with_capacity(lines * 4);
        for n in 1..=lines {
            if n > 1 {
                s.push('\n');
            }
            s.push_str(&n.to_string());
        }
        s
    });
    let numbers = (*numbers).clone();
    let example = props.example.and_then(gallery::find);

    html! {
        <section class="pane editor-pane" aria-label="Scenario editor">
            <div class="pane-head">
                <h2>{ "Scenario" }</h2>
                <span class="spacer"></span>
                <button class="btn small" title="Rewrite the text in canonical form" onclick={click(Action::Format)}>
                    { "Format" }
                </button>
                <button class={classes!("btn", "small", "primary", props.dirty.then_some("dirty"))}
                        data-testid="apply"
                        title="Apply the text and restart the run (Ctrl+Enter)"
                        onclick={click(Action::Apply)}>
                    { "Apply" }
                </button>
            </div>
            <div class="gallery">
                <label class="field grow">
                    <span>{ "Gallery" }</span>
                    <select aria-label="Gallery scenario" data-testid="gallery" onchange={on_pick}>
                        if example.is_none() {
                            <option value="custom" selected=true>{
                                if props.from_link { "Shared scenario (from the link)" } else { "Your scenario" }
                            }</option>
                        }
                        { for gallery::GALLERY.iter().map(|e| html! {
                            <option value={e.id} selected={props.example == Some(e.id)}>{ e.title }</option>
                        }) }
                        if *has_custom && example.is_some() {
                            <option value="restore">{ "↩ Back to your own scenario" }</option>
                        }
                    </select>
                </label>
                // After a gallery pick the text it replaced stays one visible click away.
                if *has_custom && example.is_some() {
                    <button class="btn small" data-testid="restore"
                            title="Back to the text you had before picking a gallery scenario"
                            onclick={on_restore}>
                        { "↩ Your scenario" }
                    </button>
                }
            </div>
            if let Some(e) = example {
                <details class="explain" open=true>
                    <summary>{ "What to watch for" }</summary>
                    <p data-testid="explanation">{ e.explanation }</p>
                </details>
            }
            <div class="editor">
                <div class="gutter" ref={gutter} aria-hidden="true">
                    // One text node for all numbers (a pasted 50 000-line text stays cheap), and
                    // the lines with problems marked on top.
                    <div class="gutter-nums">{ numbers }</div>
                    { for bad_lines.iter().map(|&n| html! {
                        <div class="gutter-err" data-css={format!("top:{}px", PAD_TOP + (n as i32 - 1) * LINE_H)}>{ n }</div>
                    }) }
                </div>
                <div class="code-wrap">
                    <div class="marks" aria-hidden="true">
                        <div class="marks-inner" ref={marks}>
                            { for props.diagnostics.iter().map(|d| {
                                let top = PAD_TOP + (d.line as i32 - 1) * LINE_H;
                                let width = d.end_col.saturating_sub(d.col).max(1);
                                let same_line = d.end_line == d.line;
                                html! { <>
                                    <div class="mark-line" data-css={format!("top:{top}px")}></div>
                                    <div class="mark-col" data-css={format!(
                                        "top:{}px;left:calc(12px + {}ch);width:{}ch",
                                        top + LINE_H - 3, d.col.saturating_sub(1),
                                        if same_line { width } else { 2 }
                                    )}></div>
                                </> }
                            }) }
                        </div>
                    </div>
                    <textarea
                        ref={area.clone()}
                        class="code"
                        spellcheck="false"
                        autocomplete="off"
                        aria-label="Scenario text"
                        aria-invalid={(!props.diagnostics.is_empty()).to_string()}
                        value={props.draft.to_string()}
                        oninput={on_input}
                        onscroll={on_scroll}
                    />
                </div>
            </div>
            if props.diagnostics.is_empty() {
                <div class="diagnostics empty" data-testid="diagnostics">
                    if props.loading {
                        { "Loading…" }
                    } else if props.dirty {
                        { "Edited. Apply (Ctrl+Enter) to run this text." }
                    } else {
                        { "No problems." }
                    }
                </div>
            } else {
                <div class="diagnostics" role="alert" data-testid="diagnostics">
                    <div class="diag-head">
                        <strong>{ format!("{} problem{}", props.diagnostics.len(), if props.diagnostics.len() == 1 { "" } else { "s" }) }</strong>
                        <span class="muted">{ " · the last good run keeps playing" }</span>
                        if stale {
                            <span class="muted">{ " · text edited since this check" }</span>
                        }
                    </div>
                    <ul>
                        { for props.diagnostics.iter().take(50).map(|d| html! {
                            <li>
                                <button class="diag" onclick={jump_to(d)} title="Show in the text">
                                    <span class="pos" data-testid="diag-pos">{ format!("{}:{}", d.line, d.col) }</span>
                                    <span class="msg">{ &d.message }</span>
                                    if let Some(h) = &d.hint {
                                        <span class="hint">{ h }</span>
                                    }
                                </button>
                            </li>
                        }) }
                    </ul>
                </div>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::utf16_offset;

    #[test]
    fn offsets_count_utf16_units_line_by_line() {
        let text = "ab\ncd±e\nf";
        assert_eq!(utf16_offset(text, 1, 1), 0);
        assert_eq!(utf16_offset(text, 2, 1), 3);
        assert_eq!(utf16_offset(text, 2, 4), 6);
        assert_eq!(utf16_offset(text, 3, 1), 8);
        assert_eq!(utf16_offset(text, 9, 1), 10);
    }
}
