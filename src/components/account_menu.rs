//! Who is signed in, in the top bar: "Sign in / Sign up", or the studio, the user's channel
//! and "Sign out", with word of followed channels going live (`live_alerts`). The sign-in, sign-up and sign-out actions live here too, so the menu
//! refreshes whenever one of them completes.

use leptos::prelude::*;

use crate::accounts::api::{Me, SignIn, SignOut, SignOutEverywhere, SignUp, current_user};
use crate::components::live_alerts::LiveAlerts;
use crate::error::AppError;

/// The account actions and who is signed in, shared through context.
#[derive(Clone, Copy)]
pub struct Auth {
    pub sign_in: ServerAction<SignIn>,
    pub sign_up: ServerAction<SignUp>,
    pub sign_out: ServerAction<SignOut>,
    pub sign_out_everywhere: ServerAction<SignOutEverywhere>,
    pub me: Resource<Result<Option<Me>, AppError>>,
}

/// Creates the account actions and provides them to every page.
pub fn provide_auth() -> Auth {
    let sign_in = ServerAction::<SignIn>::new();
    let sign_up = ServerAction::<SignUp>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let sign_out_everywhere = ServerAction::<SignOutEverywhere>::new();
    let me = Resource::new(
        move || {
            (
                sign_in.version().get(),
                sign_up.version().get(),
                sign_out.version().get(),
                sign_out_everywhere.version().get(),
            )
        },
        |_| current_user(),
    );
    let auth = Auth {
        sign_in,
        sign_up,
        sign_out,
        sign_out_everywhere,
        me,
    };
    provide_context(auth);
    auth
}

#[component]
pub fn AccountMenu() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <nav class="account-menu">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match auth.me.await {
                        Ok(Some(me)) => {
                            view! {
                                <LiveAlerts/>
                                <a href="/studio">"Studio"</a>
                                <a href=format!("/watch/{}", me.channel) class="me" data-testid="signed-in-as">
                                    {me.username}
                                </a>
                                <ActionForm action=auth.sign_out attr:class="inline">
                                    <button type="submit" class="link">"Sign out"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <a href="/signin">"Sign in"</a>
                                <a href="/signup" class="button">"Sign up"</a>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </nav>
    }
}
