//! The one door to browser storage (`localStorage`, `sessionStorage`): every call that can throw
//! is caught here — even reading `window.localStorage`, which throws `SecurityError` when the
//! browser blocks site data — and comes back as a `Refusal`. Nothing throws or panics past it,
//! and no other file names `web_sys::Storage`.

/// Which storage: `Local` is shared by every tab of this origin and outlives them; `Session`
/// belongs to one tab and survives its reloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Local,
    Session,
}

/// Why storage did not do what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The browser gives this page no storage: site data blocked, a sandboxed or third-party
    /// frame, or the storage object throwing on use.
    Unavailable,
    /// Storing was refused because the quota is used up (`QuotaExceededError`).
    Full,
}

fn area(which: Area) -> Result<web_sys::Storage, Refusal> {
    let w = web_sys::window().ok_or(Refusal::Unavailable)?;
    let got = match which {
        Area::Local => w.local_storage(),
        Area::Session => w.session_storage(),
    };
    got.ok().flatten().ok_or(Refusal::Unavailable)
}

/// The value under `key` (`Ok(None)` when there is none).
pub fn get(which: Area, key: &str) -> Result<Option<String>, Refusal> {
    area(which)?.get_item(key).map_err(|_| Refusal::Unavailable)
}

/// The value under `key`, or `None` when there is none or storage is refused.
pub fn load(which: Area, key: &str) -> Option<String> {
    get(which, key).ok().flatten()
}

/// Store `value` under `key`.
pub fn set(which: Area, key: &str, value: &str) -> Result<(), Refusal> {
    area(which)?.set_item(key, value).map_err(|e| {
        // A full quota is a `DOMException` named `QuotaExceededError` (Firefox's old name:
        // `NS_ERROR_DOM_QUOTA_REACHED`); anything else means storage is not usable here.
        let name = js_sys::Reflect::get(&e, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        if name.contains("Quota") || name.contains("QUOTA") {
            Refusal::Full
        } else {
            Refusal::Unavailable
        }
    })
}
