//! A `<details>` whose content is made only once it is opened, in the browser: what it holds
//! may fetch its own data without being part of the page the server rendered (a resource made
//! inside a streamed part of the page would not hydrate).

use leptos::prelude::*;

#[component]
pub fn Unfolding(
    #[prop(into)] class: String,
    #[prop(into)] testid: String,
    #[prop(into)] summary: String,
    children: ChildrenFn,
) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <details class=class data-testid=testid on:toggle=move |_| open.update(|open| *open = !*open)>
            <summary>{summary}</summary>
            {move || open.get().then(|| children())}
        </details>
    }
}
