//! The follow button's server functions, the home page's "channels you follow", and the types
//! both sides share.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::channels::api::ChannelSummary;
use crate::error::AppError;

/// A channel's followers, and whether the one asking is one of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Following {
    pub followers: u64,
    /// Whether the signed-in user follows the channel (false when nobody is signed in).
    pub following: bool,
    /// Whether the one asking may follow it: signed in, and not its owner.
    pub can_follow: bool,
    pub signed_in: bool,
}

/// `channel`'s followers, as the one asking sees them.
#[server(endpoint = "follow_state", input = Json)]
pub async fn follow_state(channel: String) -> Result<Following, AppError> {
    crate::error::reply(async {
        let follows = crate::error::state::<super::Follows>()?;
        let user = crate::accounts::session::maybe_user().await?;
        follows.following(user.as_ref(), &channel).await
    })
    .await
}

/// The signed-in user follows `channel` (`on`) or stops following it.
#[server(endpoint = "follow", input = Json)]
pub async fn follow(channel: String, on: bool) -> Result<Following, AppError> {
    crate::error::reply(async {
        let follows = crate::error::state::<super::Follows>()?;
        let user = crate::accounts::session::require_user().await?;
        follows.set(&user, &channel, on).await?;
        follows.following(Some(&user), &channel).await
    })
    .await
}

/// The channels the signed-in user follows that are on air now, longest live first (none when
/// nobody is signed in).
#[server(endpoint = "followed_live", input = Json)]
pub async fn followed_live() -> Result<Vec<ChannelSummary>, AppError> {
    crate::error::reply(async {
        let follows = crate::error::state::<super::Follows>()?;
        match crate::accounts::session::maybe_user().await? {
            Some(user) => follows.live_of(&user).await,
            None => Ok(Vec::new()),
        }
    })
    .await
}
