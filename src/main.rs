//! Browser entry point: mounts the Switchboard app into the page body. Nothing else lives here.

fn main() {
    switchboard::ui::crash::install();
    yew::Renderer::<switchboard::ui::App>::new().render();
}
