//! The note shown when the editor's text is not being saved (storage refused or full): it says
//! so, quietly, and offers the ways out — a link that carries the text, or the `.sb` file.

use std::rc::Rc;

use yew::prelude::*;

use super::history::name_of;
use super::share::{self, copy_text, download, file_stem, with_view};
use super::state::Tab;
use super::storage::Refusal;
use crate::scenario::link;

#[derive(Properties, PartialEq)]
pub struct NoteProps {
    pub refusal: Refusal,
    /// The editor's text, applied or not: what would be lost.
    pub draft: Rc<str>,
    pub tab: Tab,
}

/// What the Copy link button did.
#[derive(Clone, Debug, PartialEq)]
enum Copy {
    Not,
    Copied,
    /// The clipboard refused: the link to copy by hand.
    ByHand(Rc<str>),
    TooLong,
}

#[function_component]
pub fn StorageNote(props: &NoteProps) -> Html {
    let hidden = use_state_eq(|| false);
    let copy = use_state_eq(|| Copy::Not);
    if *hidden {
        return Html::default();
    }
    let why = match props.refusal {
        Refusal::Unavailable => "this browser does not let the page store anything",
        Refusal::Full => "this browser's storage for the page is full",
    };
    let on_copy = {
        let (copy, draft, tab) = (copy.clone(), props.draft.clone(), props.tab);
        Callback::from(move |_: MouseEvent| {
            let url: Rc<str> = Rc::from(format!(
                "{}{}#{}",
                share::page_base(),
                with_view("", tab),
                link::encode_text(&draft)
            ));
            if url.len() > share::TOO_LONG_LINK {
                copy.set(Copy::TooLong);
                return;
            }
            let copy = copy.clone();
            let by_hand = url.clone();
            copy_text(
                &url,
                Callback::from(move |ok: bool| {
                    copy.set(if ok {
                        Copy::Copied
                    } else {
                        Copy::ByHand(by_hand.clone())
                    })
                }),
            );
        })
    };
    let on_download = {
        let draft = props.draft.clone();
        Callback::from(move |_: MouseEvent| {
            let name = format!("{}.sb", file_stem(&name_of(&draft)));
            download(&name, "text/plain;charset=utf-8", &draft);
        })
    };
    let on_hide = {
        let hidden = hidden.clone();
        Callback::from(move |_: MouseEvent| hidden.set(true))
    };
    let select_all = Callback::from(|e: FocusEvent| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        input.select();
    });
    let feedback = match &*copy {
        Copy::Not => Html::default(),
        Copy::Copied => {
            html! { <span class="share-ok" data-testid="storage-copied">{ "Link copied" }</span> }
        }
        Copy::TooLong => html! {
            <span class="share-warn" data-testid="storage-too-long">{ "Too long for a link: download the file." }</span>
        },
        Copy::ByHand(url) => html! {
            <input class="share-url note-url" type="text" readonly=true value={url.to_string()}
                   aria-label="Link to copy" data-testid="storage-url" onfocus={select_all} />
        },
    };
    html! {
        <div class="banner note" role="status" data-testid="storage-note">
            <svg class="stroke note-icon" viewBox="0 0 16 16" aria-hidden="true"><path d="M8 1.8l6.5 11.7h-13zM8 6.5v3.2M8 11.6v.1" /></svg>
            <span class="banner-text">
                <strong>{ "Your text is not being saved in this browser" }</strong>
                { format!(" ({why}). Copy a link to it or download the file to keep it.") }
            </span>
            <span class="note-feedback">{ feedback }</span>
            <button class="btn small" data-testid="storage-copy" onclick={on_copy}>{ "Copy link" }</button>
            <button class="btn small" data-testid="storage-download" onclick={on_download}>{ "Download .sb" }</button>
            <button class="btn small ghost" data-testid="storage-hide" aria-label="Hide this note" onclick={on_hide}>{ "Hide" }</button>
        </div>
    }
}
