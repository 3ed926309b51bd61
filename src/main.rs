//! Browser entry point: mounts the Switchboard app into the page body. Nothing else lives here.

fn main() {
    yew::Renderer::<switchboard::ui::App>::new().render();
    // After mounting: Yew empties the body when it mounts there.
    switchboard::ui::crash::install();
}
