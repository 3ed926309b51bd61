//! Browser entry point: mounts the Switchboard app into the page body. Nothing else lives here.

fn main() {
    yew::Renderer::<switchboard::ui::App>::new().render();
}
