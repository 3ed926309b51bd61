//! Yew user interface: the only layer that touches the DOM, timers, the URL and storage.
