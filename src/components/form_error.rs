//! The error of a form's last submission, and the password field it empties.

use leptos::html::Input;
use leptos::prelude::*;

use crate::error::AppError;

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
