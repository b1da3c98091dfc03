//! The error of a form's last submission, and the password field it empties.

use leptos::html::Input;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_router::hooks::use_query_map;

use crate::accounts::rules::is_form_message;
use crate::error::AppError;

/// The result of a form's last submission: the action's own value once the live page has
/// submitted it, or before that the error a plain HTML submission came back with. A form sent
/// before the page hydrated (or without JavaScript) posts to the server function, which
/// redirects back with the error in the address (`?__path=…&__err=…`); only the forms' own
/// messages are taken from there.
pub fn form_result<S>(action: ServerAction<S>) -> Signal<Option<Result<(), AppError>>>
where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    Signal::derive(move || {
        action.value().get().or_else(|| {
            let query = query.read();
            let err = query
                .get_str("__err")
                .filter(|_| query.get_str("__path") == Some(S::PATH))?;
            Some(Err(from_address(ServerFnUrlError::<AppError>::decode_err(
                err,
            ))))
        })
    })
}

/// An error read from the address, which anyone can write: shown only if it is one of the
/// forms' own messages.
fn from_address(err: AppError) -> AppError {
    let known = match &err {
        AppError::Invalid(m) | AppError::TooManyAttempts(m) => is_form_message(m),
        AppError::SignInRequired => true,
        _ => false,
    };
    if known {
        err
    } else {
        AppError::Invalid("That did not work. Please try again.".into())
    }
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
