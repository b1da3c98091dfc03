//! The studio's server functions for API tokens and the types both sides share: list, make
//! (the token shown once), revoke. Each acts on the signed-in user's own tokens only.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::Scope;
use crate::error::AppError;

/// A token as its owner's list shows it (never the token itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Its first characters ("onair_3fa9…").
    pub hint: String,
    pub created_ms: u64,
    pub last_used_ms: Option<u64>,
}

/// A token just made: the token itself, which is shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MadeToken {
    pub summary: TokenSummary,
    pub token: String,
}

/// Tokens a user may hold at once.
pub const TOKENS_PER_USER: i64 = 20;
/// The longest name a token may have (characters).
pub const TOKEN_NAME_MAX: usize = 60;

#[server(endpoint = "my_tokens", input = Json)]
pub async fn my_tokens() -> Result<Vec<TokenSummary>, AppError> {
    crate::error::reply(async {
        let tokens = crate::error::state::<super::Tokens>()?;
        let user = crate::accounts::session::require_user().await?;
        tokens.list(&user).await
    })
    .await
}

/// Makes a token named `name` granting `scopes`; the answer carries the token, once.
#[server(endpoint = "make_token", input = Json)]
pub async fn make_token(name: String, scopes: Vec<Scope>) -> Result<MadeToken, AppError> {
    crate::error::reply(async {
        let tokens = crate::error::state::<super::Tokens>()?;
        let user = crate::accounts::session::require_user().await?;
        tokens.make(&user, &name, &scopes).await
    })
    .await
}

/// Revokes token `id`: it stops working at once.
#[server(endpoint = "revoke_token", input = Json)]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    crate::error::reply(async {
        let tokens = crate::error::state::<super::Tokens>()?;
        let user = crate::accounts::session::require_user().await?;
        tokens.revoke(&user, id).await
    })
    .await
}
