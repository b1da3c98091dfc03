//! `/signin`: username and password. Errors show above the button; the username stays, the
//! password is cleared. `?next=` says where to go afterwards.

use leptos::html::Input;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::{LazyRoute, lazy_route};

use crate::components::account_menu::Auth;
use crate::components::form_error::{FormError, clear_on_error, form_result};

/// `/signin` as a lazily loaded route (its own WebAssembly chunk; the form works before it loads).
pub struct SignInRoute;

#[lazy_route]
impl LazyRoute for SignInRoute {
    fn data() -> Self {
        Self
    }

    fn view(this: Self) -> AnyView {
        let _ = this;
        view! { <SignInPage/> }.into_any()
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let action = auth.sign_in;
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let password = NodeRef::<Input>::new();
    let result = form_result(action);
    clear_on_error(result, password);
    view! {
        <Title text="Sign in"/>
        <section class="account-form">
            <h1>"Sign in"</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <label>
                    "Username" <input name="username" autocomplete="username" autocapitalize="none"/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" node_ref=password/>
                </label>
                <FormError value=result/>
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p>"New here? " <a href=move || format!("/signup?next={}", next())>"Create an account"</a></p>
        </section>
    }
}
