//! Fuzz the share-link decoder: any fragment text, and any bytes wrapped as a version-1 payload,
//! decode or fail with a `LinkError`, never panic; the decompressed size stays within the limit.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use switchboard::scenario::link;

fuzz_target!(|data: &[u8]| {
    // As a fragment typed or pasted by someone.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = link::decode(text);
    }
    // As the compressed payload of a well-formed fragment: exercises inflate and the size limit.
    let fragment = format!("s=1.{}", URL_SAFE_NO_PAD.encode(data));
    if let Ok(text) = link::decode_text(&fragment) {
        assert!(text.len() <= link::MAX_TEXT_BYTES);
    }
});
