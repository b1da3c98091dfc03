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
    /// An operator: moderates every channel and can end any broadcast.
    pub operator: bool,
}

/// Creates an account (and its channel) and signs it in.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::{Accounts, Admitted, rules, session, store};
    use crate::channels::Channels;

    crate::error::reply(async {
        let accounts = crate::error::state::<Accounts>()?;
        let channels = crate::error::state::<Channels>()?;
        let Admitted {
            user,
            device_cookie,
        } = accounts
            .sign_up(&username, password, &client_address().await)
            .await?;
        set_cookie(device_cookie);
        channels.open(
            &user.channel(),
            &user.username,
            &store::first_title(&user.username),
        );
        session::begin(&session::from_request().await?, &user.into()).await?;
        leptos_axum::redirect(&rules::safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

/// Signs in with username and password. Repeated failures are throttled.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::{Accounts, Admitted, rules, session};

    crate::error::reply(async {
        let accounts = crate::error::state::<Accounts>()?;
        let device = device_token();
        let Admitted {
            user,
            device_cookie,
        } = accounts
            .sign_in(
                &username,
                password,
                &client_address().await,
                device.as_deref(),
            )
            .await?;
        set_cookie(device_cookie);
        session::begin(&session::from_request().await?, &user.into()).await?;
        leptos_axum::redirect(&rules::safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

/// Signs out: the session is deleted on the server.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::error::reply(async {
        super::session::end(&super::session::from_request().await?).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Signs the user out on every device and browser (this one too): for a lost phone, or a
/// password typed on someone else's computer.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    crate::error::reply(async {
        let accounts = crate::error::state::<super::Accounts>()?;
        let user = super::session::require_user().await?;
        accounts.sign_out_everywhere(user.user_id).await?;
        super::session::end(&super::session::from_request().await?).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Who is signed in, if anyone.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    crate::error::reply(async {
        let accounts = crate::error::state::<super::Accounts>()?;
        let session = super::session::from_request().await?;
        Ok(super::session::signed_in(&session, &accounts)
            .await?
            .map(|user| Me {
                username: user.username,
                channel: user.channel,
                operator: user.operator,
            }))
    })
    .await
}

/// The colour the signed-in user picked for their name in chat; None: the default.
#[server(endpoint = "name_colour")]
pub async fn my_name_colour() -> Result<Option<String>, AppError> {
    crate::error::reply(async {
        let accounts = crate::error::state::<super::Accounts>()?;
        let user = super::session::require_user().await?;
        accounts.name_colour(user.user_id).await
    })
    .await
}

/// Sets the colour of the signed-in user's name in chat (`#rrggbb`, readable on both themes;
/// empty: the default). Their next messages carry it.
#[server(endpoint = "set_name_colour")]
pub async fn set_name_colour(colour: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let accounts = crate::error::state::<super::Accounts>()?;
        let user = super::session::require_user().await?;
        accounts.set_name_colour(user.user_id, &colour).await
    })
    .await
}

/// The visitor's client (behind a trusted proxy, the one it forwards for; an IPv6 /64), for
/// limits.
#[cfg(feature = "ssr")]
async fn client_address() -> String {
    use axum::extract::ConnectInfo;
    leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| crate::client_key::client_key(addr.ip()).to_string())
        .unwrap_or_default()
}

/// The known-device token the request's cookies carry, if any.
#[cfg(feature = "ssr")]
fn device_token() -> Option<String> {
    let parts = use_context::<axum::http::request::Parts>()?;
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(super::devices::from_cookie_header)
        .map(str::to_string)
}

/// Adds a Set-Cookie header to the response, if there is one to set.
#[cfg(feature = "ssr")]
fn set_cookie(cookie: Option<String>) {
    let (Some(cookie), Some(response)) = (cookie, use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}
