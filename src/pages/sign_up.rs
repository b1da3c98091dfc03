//! `/signup`: choose a username (it becomes the channel's address) and a password.

use leptos::html::Input;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::{LazyRoute, lazy_route};

use crate::accounts::rules::{PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN};
use crate::components::account_menu::Auth;
use crate::components::form_error::{FormError, clear_on_error, form_result};

/// `/signup` as a lazily loaded route (its own WebAssembly chunk; the form works before it loads).
pub struct SignUpRoute;

#[lazy_route]
impl LazyRoute for SignUpRoute {
    fn data() -> Self {
        Self
    }

    fn view(this: Self) -> AnyView {
        let _ = this;
        view! { <SignUpPage/> }.into_any()
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let action = auth.sign_up;
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let password = NodeRef::<Input>::new();
    let result = form_result(action);
    clear_on_error(result, password);
    view! {
        <Title text="Create an account"/>
        <section class="account-form">
            <h1>"Create an account"</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <label>
                    "Username"
                    <input name="username" autocomplete="username" autocapitalize="none"/>
                    <small>
                        {format!(
                            "{USERNAME_MIN}–{USERNAME_MAX} letters, digits, _ or -. Your channel will be /watch/<username>.",
                        )}
                    </small>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="new-password" node_ref=password/>
                    <small>{format!("At least {PASSWORD_MIN} characters.")}</small>
                </label>
                <FormError value=result/>
                <button type="submit" disabled=move || action.pending().get()>"Create account"</button>
            </ActionForm>
            <p>"Have an account? " <a href=move || format!("/signin?next={}", next())>"Sign in"</a></p>
        </section>
    }
}
