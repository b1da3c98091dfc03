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

/// Where to go after signing in: a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/studio".to_string(),
    }
}

/// Creates an account (and its channel) and signs it in.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::users::{CreateError, create, first_title};
    use super::{password, rules, session};

    let state = expect_context::<crate::server::AppState>();
    let username = username.trim().to_string();
    rules::check_username(&username).map_err(AppError::Invalid)?;
    rules::check_password(&password, &username).map_err(AppError::Invalid)?;
    let hash = password::hash_blocking(password).await?;
    let user = match create(&state.db, &username, &hash).await {
        Ok(user) => user,
        Err(CreateError::Taken) => {
            return Err(AppError::Invalid(format!(
                "The username {username} is taken; choose another."
            )));
        }
        Err(CreateError::Database(err)) => return Err(err.into()),
    };
    state.channels.open(
        &user.channel(),
        &user.username,
        &first_title(&user.username),
    );
    let signed_in = session::SignedIn::from(user);
    session::begin(&session::from_request().await?, &signed_in).await?;
    tracing::info!(username = %signed_in.username, "account created");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Signs in with username and password. Repeated failures are throttled.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use std::net::SocketAddr;
    use std::time::Instant;

    use axum::extract::ConnectInfo;

    use super::{password, session, throttle, users};

    let state = expect_context::<crate::server::AppState>();
    let username = username.trim().to_string();
    if username.is_empty() || password.is_empty() {
        return Err(AppError::Invalid(
            "Enter your username and password.".into(),
        ));
    }
    let address = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_default();
    state
        .throttle
        .check(&username, &address, Instant::now())
        .map_err(|wait| AppError::TooManyAttempts(throttle::message(wait)))?;
    let user = users::find(&state.db, &username).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = password::verify_blocking(password, stored).await;
    let Some(user) = user.filter(|_| matches) else {
        state
            .throttle
            .record_failure(&username, &address, Instant::now());
        return Err(AppError::Invalid("Wrong username or password.".into()));
    };
    state.throttle.record_success(&username);
    let signed_in = session::SignedIn::from(user);
    session::begin(&session::from_request().await?, &signed_in).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Signs out: the session is deleted on the server.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    super::session::end(&super::session::from_request().await?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Who is signed in, if anyone.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let session = super::session::from_request().await?;
    Ok(super::session::current(&session).await?.map(|user| Me {
        username: user.username,
        channel: user.channel,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_sign_in_only_paths_on_this_site_are_followed() {
        assert_eq!(safe_next(Some("/studio")), "/studio");
        assert_eq!(safe_next(Some("/watch/ana")), "/watch/ana");
        for elsewhere in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "",
            "studio",
        ] {
            assert_eq!(safe_next(Some(elsewhere)), "/studio", "{elsewhere}");
        }
        assert_eq!(safe_next(None), "/studio");
    }
}
