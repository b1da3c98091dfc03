//! Moderation as a user asks for it (on the site, or with an API token). A channel's chat is
//! moderated by its owner, the operators, and the moderators its owner (or an operator)
//! appoints. An appointed moderator deletes, times out and bans viewers, and keeps the blocked
//! terms; they never act on the owner, an operator or another moderator. Nobody bans
//! themselves or a name no account has. Appointing moderators is for the owner and operators.

use super::{Chat, role};
use crate::accounts::session::SignedIn;
use crate::accounts::{Accounts, Named};
use crate::chat::api::Moderator;
use crate::chat::{rules, store};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::live::wire::ChatRole;

/// The most moderators a channel appoints.
pub const MODERATORS_MAX: usize = 100;

impl Chat {
    /// What `user` is in `channel`'s chat; None: a viewer.
    pub async fn role_of(
        &self,
        user: &SignedIn,
        channel: &str,
    ) -> Result<Option<ChatRole>, AppError> {
        let moderator = match user.channel == channel || user.operator {
            true => false,
            false => store::poster(&self.db, channel, user.user_id).await?.0,
        };
        Ok(role(user, channel, moderator))
    }

    /// `user`'s role in `channel`'s chat, if they moderate it.
    async fn ensure_may_moderate(
        &self,
        user: &SignedIn,
        channel: &str,
    ) -> Result<ChatRole, AppError> {
        self.role_of(user, channel).await?.ok_or_else(|| {
            AppError::Forbidden(format!(
                "Only the owner of the channel {channel}, its moderators or an operator can moderate its chat."
            ))
        })
    }

    pub async fn delete_by(&self, user: &SignedIn, channel: &str, id: u64) -> Result<(), AppError> {
        if self.ensure_may_moderate(user, channel).await? == ChatRole::Moderator {
            match store::role_of_message(&self.db, channel, id).await? {
                None => return Err(AppError::NotFound("That message is already gone.".into())),
                Some(Some(_)) => {
                    return Err(AppError::Forbidden(
                        "A moderator cannot delete a message of the channel's owner, an operator or another moderator."
                            .into(),
                    ));
                }
                Some(None) => {}
            }
        }
        self.delete(channel, id).await
    }

    pub async fn ban_by(
        &self,
        accounts: &Accounts,
        user: &SignedIn,
        channel: &str,
        username: &str,
    ) -> Result<(), AppError> {
        let username = self.check_target(accounts, user, channel, username).await?;
        self.ban(channel, &username, None).await
    }

    /// Times `username` out of `channel`'s chat for `secs` seconds.
    pub async fn timeout_by(
        &self,
        accounts: &Accounts,
        user: &SignedIn,
        channel: &str,
        username: &str,
        secs: u64,
    ) -> Result<(), AppError> {
        let secs = rules::check_timeout(secs).map_err(AppError::Invalid)?;
        let username = self.check_target(accounts, user, channel, username).await?;
        let until = now_ms().saturating_add(secs.saturating_mul(1000));
        self.ban(channel, &username, Some(until)).await
    }

    /// Whom `user` may ban or time out from `channel`: they moderate it; the target is an
    /// account, not themselves, not the channel's owner, not an operator; and another
    /// moderator only for the owner or an operator, which dismisses them as moderator.
    async fn check_target(
        &self,
        accounts: &Accounts,
        user: &SignedIn,
        channel: &str,
        username: &str,
    ) -> Result<String, AppError> {
        let actor = self.ensure_may_moderate(user, channel).await?;
        let username = username.trim();
        if username.eq_ignore_ascii_case(&user.username) {
            return Err(AppError::Invalid("You cannot ban yourself.".into()));
        }
        let Named {
            username, operator, ..
        } = account_named(accounts, username).await?;
        let owner = self
            .channels
            .require(channel)
            .await?
            .broadcaster
            .eq_ignore_ascii_case(&username);
        if owner {
            return Err(AppError::Forbidden(
                "The channel's owner cannot be banned or timed out of its chat.".into(),
            ));
        }
        if operator {
            return Err(AppError::Forbidden(
                "An operator of this site cannot be banned or timed out of a chat.".into(),
            ));
        }
        if store::is_moderator(&self.db, channel, &username).await? {
            if actor == ChatRole::Moderator {
                return Err(AppError::Forbidden(
                    "A moderator cannot ban or time out another moderator.".into(),
                ));
            }
            store::dismiss(&self.db, channel, &username).await?;
            tracing::info!(%channel, %username, by = %user.username, "moderator dismissed by a ban or timeout");
        }
        Ok(username)
    }

    pub async fn unban_by(
        &self,
        user: &SignedIn,
        channel: &str,
        username: &str,
    ) -> Result<(), AppError> {
        self.ensure_may_moderate(user, channel).await?;
        self.unban(channel, username.trim()).await
    }

    /// Who is banned or timed out from `channel`'s chat, for those who moderate it.
    pub async fn bans_by(
        &self,
        user: &SignedIn,
        channel: &str,
    ) -> Result<Vec<crate::chat::api::Banned>, AppError> {
        self.ensure_may_moderate(user, channel).await?;
        self.bans(channel).await
    }

    /// `user` (in charge of `channel`) appoints `username` a moderator of its chat.
    pub async fn appoint_by(
        &self,
        accounts: &Accounts,
        user: &SignedIn,
        channel: &str,
        username: &str,
    ) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        let found = self.channels.require(channel).await?;
        let username = username.trim().trim_start_matches('@');
        let named = account_named(accounts, username).await?;
        if found.broadcaster.eq_ignore_ascii_case(&named.username) {
            return Err(AppError::Invalid(
                "The channel's owner keeps its chat already.".into(),
            ));
        }
        if named.operator {
            return Err(AppError::Invalid(
                "An operator moderates every chat already.".into(),
            ));
        }
        if store::moderators(&self.db, channel).await?.len() >= MODERATORS_MAX {
            return Err(AppError::Invalid(format!(
                "A channel has at most {MODERATORS_MAX} moderators: dismiss one first."
            )));
        }
        if !store::appoint(&self.db, channel, named.id).await? {
            return Err(AppError::Invalid(format!(
                "{} moderates this chat already.",
                named.username
            )));
        }
        tracing::info!(%channel, moderator = %named.username, by = %user.username, "moderator appointed");
        Ok(())
    }

    /// `user` (in charge of `channel`) dismisses `username` as a moderator of its chat.
    pub async fn dismiss_by(
        &self,
        user: &SignedIn,
        channel: &str,
        username: &str,
    ) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        let username = username.trim();
        if !store::dismiss(&self.db, channel, username).await? {
            return Err(AppError::NotFound(
                "That user is not a moderator of this chat.".into(),
            ));
        }
        tracing::info!(%channel, moderator = %username, by = %user.username, "moderator dismissed");
        Ok(())
    }

    /// `channel`'s appointed moderators, for those in charge of it.
    pub async fn moderators_by(
        &self,
        user: &SignedIn,
        channel: &str,
    ) -> Result<Vec<Moderator>, AppError> {
        user.ensure_in_charge(channel)?;
        Ok(store::moderators(&self.db, channel)
            .await?
            .into_iter()
            .map(|(username, since_ms)| Moderator { username, since_ms })
            .collect())
    }

    /// `channel`'s blocked terms, one per line, for those who moderate it (viewers never see
    /// them).
    pub async fn blocked_terms_by(
        &self,
        user: &SignedIn,
        channel: &str,
    ) -> Result<String, AppError> {
        self.ensure_may_moderate(user, channel).await?;
        let found = self.channels.require(channel).await?;
        Ok(store::settings(&self.db, &found.name)
            .await?
            .blocked_terms
            .join("\n"))
    }

    /// Replaces `channel`'s blocked terms with those in `typed`, one per line.
    pub async fn set_blocked_terms_by(
        &self,
        user: &SignedIn,
        channel: &str,
        typed: &str,
    ) -> Result<usize, AppError> {
        self.ensure_may_moderate(user, channel).await?;
        let found = self.channels.require(channel).await?;
        let terms = rules::check_blocked_terms(typed).map_err(AppError::Invalid)?;
        store::set_blocked_terms(&self.db, &found.name, &terms).await?;
        tracing::info!(%channel, terms = terms.len(), by = %user.username, "blocked terms set");
        Ok(terms.len())
    }
}

/// The account a moderator names (typed: any case, perhaps no username at all).
async fn account_named(accounts: &Accounts, username: &str) -> Result<Named, AppError> {
    let named = match crate::accounts::rules::check_username(username) {
        Ok(_) => accounts.named(username).await?,
        Err(_) => None,
    };
    named.ok_or_else(|| AppError::NotFound("No account has that name.".into()))
}
