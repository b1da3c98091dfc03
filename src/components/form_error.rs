//! The error of a form's last submission, and the password field it empties.

use leptos::html::Input;
use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;

use crate::error::AppError;

/// The result of a form's last submission: the action's own value once the live page has
/// submitted it, or before that the error a plain HTML submission came back with. A form sent
/// before the page hydrated (or without JavaScript) posts to the server function, which
/// redirects back with the error in the address (`?__path=…&__err=…`); the router hands that
/// to the page being rendered. Call it from the page component, inside the routes.
pub fn form_result<S>(action: ServerAction<S>) -> Signal<Option<Result<(), AppError>>>
where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let from_address = use_context::<ServerActionError>()
        .filter(|error| error.path() == S::PATH)
        .map(|error| ServerFnUrlError::<AppError>::decode_err(error.err()));
    Signal::derive(move || {
        action
            .value()
            .get()
            .or_else(|| from_address.clone().map(Err))
    })
}

/// The error of the last submission, if it failed.
#[component]
pub fn FormError(value: Signal<Option<Result<(), AppError>>>) -> impl IntoView {
    move || {
        value.get().and_then(Result::err).map(|err| {
            view! { <p class="form-error" role="alert" data-testid="form-error">{err.to_string()}</p> }
        })
    }
}

/// Empties the password field after a failed submission; everything else stays as typed.
pub fn clear_on_error(value: Signal<Option<Result<(), AppError>>>, field: NodeRef<Input>) {
    Effect::new(move |_| {
        if matches!(value.get(), Some(Err(_)))
            && let Some(input) = field.get_untracked()
        {
            input.set_value("");
        }
    });
}
