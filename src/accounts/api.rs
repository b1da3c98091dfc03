//! Sign up, sign in, sign out, and who is signed in: the server functions the forms call.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user as pages see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    /// Their channel: `/watch/{channel}`.
    pub channel: String,
}

/// Creates an account (and its channel) and signs it in.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::{Accounts, rules, session, store};
    use crate::channels::Channels;

    crate::error::reply(
        async {
            let user = expect_context::<Accounts>()
                .sign_up(&username, password)
                .await?;
            expect_context::<Channels>().open(
                &user.channel(),
                &user.username,
                &store::first_title(&user.username),
            );
            session::begin(&session::from_request().await?, &user.into()).await?;
            leptos_axum::redirect(&rules::safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Signs in with username and password. Repeated failures are throttled.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;

    use super::{Accounts, rules, session};

    crate::error::reply(
        async {
            let address = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
                .await
                .map(|ConnectInfo(addr)| addr.ip().to_string())
                .unwrap_or_default();
            let user = expect_context::<Accounts>()
                .sign_in(&username, password, &address)
                .await?;
            session::begin(&session::from_request().await?, &user.into()).await?;
            leptos_axum::redirect(&rules::safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Signs out: the session is deleted on the server.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::error::reply(
        async {
            super::session::end(&super::session::from_request().await?).await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Who is signed in, if anyone.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    crate::error::reply(
        async {
            let session = super::session::from_request().await?;
            Ok(super::session::current(&session).await?.map(|user| Me {
                username: user.username,
                channel: user.channel,
            }))
        }
        .await,
    )
}
