//! What an API token may do: each scope one kind of act, granted when the token is made.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read a channel's state, its viewer count and its chat.
    Read,
    /// Post chat as the token's user (shown as a bot).
    Chat,
    /// Delete messages and ban or unban, in the chats its user moderates.
    Moderate,
    /// Start and stop its user's broadcast.
    Broadcast,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Chat, Scope::Moderate, Scope::Broadcast];

    /// Its name in the API, the studio and the database.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Chat => "chat",
            Scope::Moderate => "moderate",
            Scope::Broadcast => "broadcast",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.name() == name)
    }

    /// What it lets a token do, in the studio's words.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Read => "Read channel state, viewer counts and chat",
            Scope::Chat => "Post chat as you (shown as a bot)",
            Scope::Moderate => "Delete messages and ban in the chats you moderate",
            Scope::Broadcast => "Start and stop your broadcast",
        }
    }
}

/// Scopes as stored: names joined by commas, in order, each once.
pub fn join(scopes: &[Scope]) -> String {
    let mut sorted = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// Scopes as stored, back (names it does not know are dropped).
pub fn split(stored: &str) -> Vec<Scope> {
    stored.split(',').filter_map(Scope::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_stored_by_name_once_in_order() {
        let stored = join(&[Scope::Moderate, Scope::Read, Scope::Moderate]);
        assert_eq!(stored, "read,moderate");
        assert_eq!(split(&stored), [Scope::Read, Scope::Moderate]);
        assert_eq!(split("read,admin,,chat"), [Scope::Read, Scope::Chat]);
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
        }
    }
}
