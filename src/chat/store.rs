//! Chat messages and bans in the database. A deleted message is marked and no longer shown;
//! messages older than the retention period, deleted or not, are erased.

use crate::db::Db;

use crate::clock::now_ms;
use crate::live::wire::{ChatEvent, ChatQuote, ChatRole};

/// A stored message's columns, with those of the message it replies to (its text None once
/// deleted).
type Row = (
    i64,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// What `Row` reads: the message `m` and the one it replies to, `q`.
const COLUMNS: &str = "m.id, m.author, m.text, m.sent_ms, m.bot, m.role, m.colour, q.id, q.author, \
     CASE WHEN q.deleted_ms IS NULL THEN q.text END \
     FROM chat_messages m LEFT JOIN chat_messages q ON q.id = m.reply_to";

fn message(
    (id, author, text, sent_ms, bot, role, colour, quoted, quoted_author, quoted_text): Row,
) -> ChatEvent {
    ChatEvent {
        id: id as u64,
        author,
        text,
        sent_at: sent_ms as u64,
        bot: bot != 0,
        role: role.as_deref().and_then(ChatRole::from_word),
        colour,
        reply: quoted
            .zip(quoted_author)
            .map(|(quoted, author)| ChatQuote::of(quoted as u64, author, quoted_text.as_deref())),
    }
}

/// Message `id` of `channel` quoted, if it is there and not deleted.
pub async fn quotable(db: &Db, channel: &str, id: u64) -> Result<Option<ChatQuote>, sqlx::Error> {
    let found: Option<(String, String)> = sqlx::query_as(
        "SELECT author, text FROM chat_messages WHERE id = $1 AND channel = $2 AND deleted_ms IS NULL",
    )
    .bind(id as i64)
    .bind(channel)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|(author, text)| ChatQuote::of(id, author, Some(&text))))
}

/// A message about to be stored: who says what, and what shows beside it.
#[derive(Clone, Debug, Default)]
pub struct Said<'a> {
    pub author: &'a str,
    pub text: &'a str,
    /// Posted through an API token.
    pub bot: bool,
    pub role: Option<ChatRole>,
    /// The author's name colour.
    pub colour: Option<String>,
    pub reply: Option<ChatQuote>,
}

/// Stores a message; returns it with its id (ids grow in the order messages are stored).
pub async fn insert(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    channel: &str,
    said: Said<'_>,
) -> Result<ChatEvent, sqlx::Error> {
    let sent_at = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO chat_messages (channel, author, text, sent_ms, bot, role, colour, reply_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(channel)
    .bind(said.author)
    .bind(said.text)
    .bind(sent_at as i64)
    .bind(i64::from(said.bot))
    .bind(said.role.map(ChatRole::word))
    .bind(said.colour.as_deref())
    .bind(said.reply.as_ref().map(|quote| quote.id as i64))
    .fetch_one(db)
    .await?;
    Ok(ChatEvent {
        id: id as u64,
        author: said.author.to_string(),
        text: said.text.to_string(),
        sent_at,
        bot: said.bot,
        role: said.role,
        colour: said.colour,
        reply: said.reply,
    })
}

/// The role message `id` of `channel`'s author had when they posted it: None if there is no
/// such message, Some(None) for a viewer's.
pub async fn role_of_message(
    db: &Db,
    channel: &str,
    id: u64,
) -> Result<Option<Option<ChatRole>>, sqlx::Error> {
    let found: Option<Option<String>> = sqlx::query_scalar(
        "SELECT role FROM chat_messages WHERE id = $1 AND channel = $2 AND deleted_ms IS NULL",
    )
    .bind(id as i64)
    .bind(channel)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|role| role.as_deref().and_then(ChatRole::from_word)))
}

/// The latest `limit` messages of `channel` not deleted, oldest first.
pub async fn recent(db: &Db, channel: &str, limit: u32) -> Result<Vec<ChatEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} WHERE m.channel = $1 AND m.deleted_ms IS NULL ORDER BY m.id DESC LIMIT $2"
    ))
    .bind(channel)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().rev().map(message).collect())
}

/// The first `limit` messages of `channel` sent from `from_ms` to `to_ms`, not deleted, oldest
/// first (a replay's chat).
pub async fn between(
    db: &Db,
    channel: &str,
    from_ms: u64,
    to_ms: u64,
    limit: u32,
) -> Result<Vec<ChatEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} WHERE m.channel = $1 AND m.deleted_ms IS NULL \
         AND m.sent_ms >= $2 AND m.sent_ms <= $3 ORDER BY m.sent_ms, m.id LIMIT $4"
    ))
    .bind(channel)
    .bind(from_ms as i64)
    .bind(to_ms as i64)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(message).collect())
}

/// Marks message `id` of `channel` deleted; false if there is no such message there.
pub async fn delete(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    channel: &str,
    id: u64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE chat_messages SET deleted_ms = $1 \
         WHERE id = $2 AND channel = $3 AND deleted_ms IS NULL",
    )
    .bind(now_ms() as i64)
    .bind(id as i64)
    .bind(channel)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// In a shared database (PostgreSQL): waits for `channel`'s chat's turn, until the end of the
/// transaction `conn` is in, so instances store and send its changes one at a time.
pub async fn take_turn(conn: &mut sqlx::AnyConnection, channel: &str) -> Result<(), sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS turn",
    )
    .bind(format!("onair chat {channel}"))
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// How many messages `author` sent, in any channel, since `since_ms`.
pub async fn sent_since(
    conn: &mut sqlx::AnyConnection,
    author: &str,
    since_ms: u64,
) -> Result<u64, sqlx::Error> {
    let sent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM chat_messages WHERE lower(author) = lower($1) AND sent_ms > $2",
    )
    .bind(author)
    .bind(since_ms as i64)
    .fetch_one(conn)
    .await?;
    Ok(sent as u64)
}

/// Bans `username` from posting in `channel`'s chat until `until_ms` (a timeout), or until
/// lifted (None). A new ban or timeout replaces the one there was.
pub async fn ban(
    db: &Db,
    channel: &str,
    username: &str,
    until_ms: Option<u64>,
) -> Result<(), sqlx::Error> {
    let until = until_ms.map(|ms| ms as i64);
    let updated = sqlx::query(
        "UPDATE chat_bans SET banned_ms = $3, until_ms = $4 \
         WHERE channel = $1 AND lower(username) = lower($2)",
    )
    .bind(channel)
    .bind(username)
    .bind(now_ms() as i64)
    .bind(until)
    .execute(db)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO chat_bans (channel, username, banned_ms, until_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(channel)
        .bind(username)
        .bind(now_ms() as i64)
        .bind(until)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// When `author` last posted in `channel`, if after `after_ms`.
pub async fn last_sent(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    channel: &str,
    author: &str,
    after_ms: u64,
) -> Result<Option<u64>, sqlx::Error> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(sent_ms) FROM chat_messages \
         WHERE lower(author) = lower($1) AND sent_ms > $2 AND channel = $3",
    )
    .bind(author)
    .bind(after_ms as i64)
    .bind(channel)
    .fetch_one(db)
    .await?;
    Ok(last.map(|ms| ms.max(0) as u64))
}

/// What a channel's owner set for its chat: the rules everyone reads, and the blocked terms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    pub slow_secs: u64,
    pub followers_only_min: Option<u64>,
    /// Lower case, one per entry.
    pub blocked_terms: Vec<String>,
}

/// `channel`'s chat settings; none set when the owner never set any.
pub async fn settings(db: &Db, channel: &str) -> Result<Settings, sqlx::Error> {
    let found: Option<(i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT slow_secs, followers_only_min, blocked_terms FROM chat_rules WHERE channel = $1",
    )
    .bind(channel)
    .fetch_optional(db)
    .await?;
    Ok(
        found.map_or_else(Settings::default, |(slow, followers, terms)| Settings {
            slow_secs: slow.max(0) as u64,
            followers_only_min: followers.map(|m| m.max(0) as u64),
            blocked_terms: terms.lines().map(str::to_string).collect(),
        }),
    )
}

pub async fn set_rules(
    db: &Db,
    channel: &str,
    slow_secs: u64,
    followers_only_min: Option<u64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO chat_rules (channel, slow_secs, followers_only_min) VALUES ($1, $2, $3) \
         ON CONFLICT (channel) DO UPDATE SET slow_secs = excluded.slow_secs, \
         followers_only_min = excluded.followers_only_min",
    )
    .bind(channel)
    .bind(slow_secs as i64)
    .bind(followers_only_min.map(|m| m as i64))
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces `channel`'s blocked terms (lower case, without line breaks).
pub async fn set_blocked_terms(
    db: &Db,
    channel: &str,
    terms: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO chat_rules (channel, blocked_terms) VALUES ($1, $2) \
         ON CONFLICT (channel) DO UPDATE SET blocked_terms = excluded.blocked_terms",
    )
    .bind(channel)
    .bind(terms.join("\n"))
    .execute(db)
    .await?;
    Ok(())
}

/// What a poster is in a channel besides its owner or an operator: (a moderator of it, the
/// colour they picked for their name).
pub async fn poster(
    db: &Db,
    channel: &str,
    user_id: i64,
) -> Result<(bool, Option<String>), sqlx::Error> {
    let (moderators, colour): (i64, Option<String>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM chat_moderators WHERE channel = $1 AND user_id = $2), \
         (SELECT name_colour FROM users WHERE id = $2)",
    )
    .bind(channel)
    .bind(user_id)
    .fetch_one(db)
    .await?;
    Ok((moderators > 0, colour))
}

/// Whether `username` moderates `channel`'s chat (an appointed moderator).
pub async fn is_moderator(db: &Db, channel: &str, username: &str) -> Result<bool, sqlx::Error> {
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM chat_moderators m JOIN users u ON u.id = m.user_id \
         WHERE m.channel = $1 AND lower(u.username) = lower($2)",
    )
    .bind(channel)
    .bind(username)
    .fetch_one(db)
    .await?;
    Ok(found > 0)
}

/// Appoints `user_id` a moderator of `channel`; false if they already were one.
pub async fn appoint(db: &Db, channel: &str, user_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO chat_moderators (channel, user_id, since_ms) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(channel)
    .bind(user_id)
    .bind(now_ms() as i64)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Dismisses `username` as a moderator of `channel`; false if they were none.
pub async fn dismiss(db: &Db, channel: &str, username: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM chat_moderators WHERE channel = $1 AND user_id IN \
         (SELECT id FROM users WHERE lower(username) = lower($2))",
    )
    .bind(channel)
    .bind(username)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// `channel`'s moderators: (username, since ms), longest-serving first.
pub async fn moderators(db: &Db, channel: &str) -> Result<Vec<(String, u64)>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.username, m.since_ms FROM chat_moderators m JOIN users u ON u.id = m.user_id \
         WHERE m.channel = $1 ORDER BY m.since_ms, u.username",
    )
    .bind(channel)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, since)| (name, since.max(0) as u64))
        .collect())
}

/// Erases every message sent before `before_ms`; how many.
pub async fn erase_before(db: &Db, before_ms: u64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM chat_messages WHERE sent_ms < $1")
        .bind(before_ms as i64)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Lifts `username`'s ban from `channel`'s chat; false if there was none.
pub async fn unban(db: &Db, channel: &str, username: &str) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM chat_bans WHERE channel = $1 AND lower(username) = lower($2)")
            .bind(channel)
            .bind(username)
            .execute(db)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Who is banned or timed out from `channel`'s chat now, newest first: (username, since,
/// until — None for a ban), in ms since the epoch.
pub async fn bans(db: &Db, channel: &str) -> Result<Vec<(String, u64, Option<u64>)>, sqlx::Error> {
    let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT username, banned_ms, until_ms FROM chat_bans WHERE channel = $1 \
         AND (until_ms IS NULL OR until_ms > $2) ORDER BY banned_ms DESC LIMIT 500",
    )
    .bind(channel)
    .bind(now_ms() as i64)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, ms, until)| (u, ms as u64, until.map(|t| t as u64)))
        .collect())
}

/// Whether `username` may not post in `channel` now: Some(None) banned, Some(Some(until_ms))
/// timed out until then; None free to post.
pub async fn banned(
    db: &Db,
    channel: &str,
    username: &str,
) -> Result<Option<Option<u64>>, sqlx::Error> {
    let found: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT until_ms FROM chat_bans WHERE channel = $1 AND lower(username) = lower($2) \
         AND (until_ms IS NULL OR until_ms > $3)",
    )
    .bind(channel)
    .bind(username)
    .bind(now_ms() as i64)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|until| until.map(|ms| ms.max(0) as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said<'a>(author: &'a str, text: &'a str) -> Said<'a> {
        Said {
            author,
            text,
            ..Said::default()
        }
    }

    #[tokio::test]
    async fn messages_past_the_retention_are_erased_and_newer_ones_kept() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let old = insert(&db, "ana", said("bob", "last month")).await.unwrap();
            sqlx::query("UPDATE chat_messages SET sent_ms = sent_ms - $1 WHERE id = $2")
                .bind(40 * 86_400_000i64)
                .bind(old.id as i64)
                .execute(&db)
                .await
                .unwrap();
            let kept = insert(&db, "ana", said("carl", "today")).await.unwrap();
            let cutoff = now_ms() - 30 * 86_400_000;
            assert_eq!(erase_before(&db, cutoff).await.unwrap(), 1);
            assert_eq!(recent(&db, "ana", 50).await.unwrap(), [kept]);
        }
    }

    #[tokio::test]
    async fn messages_come_back_in_order_and_deleted_ones_are_not_shown() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let first = insert(&db, "ana", said("bob", "hello")).await.unwrap();
            let second = insert(&db, "ana", said("carl", "hi bob")).await.unwrap();
            insert(&db, "other", said("bob", "elsewhere"))
                .await
                .unwrap();
            assert!(second.id > first.id);
            assert_eq!(
                recent(&db, "ana", 50).await.unwrap(),
                [first.clone(), second.clone()]
            );
            assert_eq!(
                recent(&db, "ana", 1).await.unwrap(),
                std::slice::from_ref(&second),
                "the latest"
            );

            assert!(
                !delete(&db, "other", first.id).await.unwrap(),
                "not that channel's"
            );
            assert!(delete(&db, "ana", first.id).await.unwrap());
            assert!(
                !delete(&db, "ana", first.id).await.unwrap(),
                "already deleted"
            );
            assert_eq!(recent(&db, "ana", 50).await.unwrap(), [second]);
        }
    }

    #[tokio::test]
    async fn a_ban_holds_for_one_channel_whatever_the_case_and_a_timeout_until_its_end() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            assert_eq!(banned(&db, "ana", "troll").await.unwrap(), None);
            ban(&db, "ana", "Troll", None).await.unwrap();
            ban(&db, "ana", "troll", None).await.unwrap();
            assert_eq!(banned(&db, "ana", "troll").await.unwrap(), Some(None));
            assert_eq!(banned(&db, "ana", "TROLL").await.unwrap(), Some(None));
            assert_eq!(banned(&db, "bob", "troll").await.unwrap(), None);
            assert!(unban(&db, "ana", "TROLL").await.unwrap());
            assert_eq!(banned(&db, "ana", "troll").await.unwrap(), None);

            // A timeout holds until its end, then is gone from the list too.
            let later = now_ms() + 60_000;
            ban(&db, "ana", "troll", Some(later)).await.unwrap();
            assert_eq!(
                banned(&db, "ana", "troll").await.unwrap(),
                Some(Some(later))
            );
            assert_eq!(bans(&db, "ana").await.unwrap().len(), 1);
            ban(&db, "ana", "troll", Some(now_ms() - 1)).await.unwrap();
            assert_eq!(banned(&db, "ana", "troll").await.unwrap(), None);
            assert!(bans(&db, "ana").await.unwrap().is_empty());
            // A ban replaces a timeout.
            ban(&db, "ana", "TROLL", None).await.unwrap();
            assert_eq!(banned(&db, "ana", "troll").await.unwrap(), Some(None));
        }
    }

    #[tokio::test]
    async fn a_reply_quotes_its_message_until_that_is_deleted() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let asked = insert(&db, "ana", said("bob", &"why? ".repeat(40)))
                .await
                .unwrap();
            assert!(
                quotable(&db, "other", asked.id).await.unwrap().is_none(),
                "another channel's"
            );
            let quote = quotable(&db, "ana", asked.id).await.unwrap().unwrap();
            assert_eq!((quote.id, quote.author.as_str()), (asked.id, "bob"));
            assert_eq!(quote.text.as_deref().map(|t| t.chars().count()), Some(100));
            let answer = insert(
                &db,
                "ana",
                Said {
                    reply: Some(quote.clone()),
                    ..said("carl", "because")
                },
            )
            .await
            .unwrap();
            assert_eq!(answer.reply.as_ref(), Some(&quote));
            assert_eq!(
                recent(&db, "ana", 50).await.unwrap()[1],
                answer,
                "read back the same"
            );
            assert!(delete(&db, "ana", asked.id).await.unwrap());
            assert!(quotable(&db, "ana", asked.id).await.unwrap().is_none());
            let shown = recent(&db, "ana", 50).await.unwrap();
            assert_eq!(shown.len(), 1);
            let quote = shown[0].reply.clone().unwrap();
            assert_eq!(
                (quote.id, quote.text),
                (asked.id, None),
                "a deleted message is not quoted"
            );
        }
    }

    #[tokio::test]
    async fn slow_mode_finds_the_last_message_of_the_author_in_the_channel() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let before = now_ms() - 1;
            assert_eq!(last_sent(&db, "ana", "bob", before).await.unwrap(), None);
            insert(&db, "other", said("bob", "elsewhere"))
                .await
                .unwrap();
            assert_eq!(last_sent(&db, "ana", "bob", before).await.unwrap(), None);
            let sent = insert(&db, "ana", said("Bob", "hi")).await.unwrap();
            assert_eq!(
                last_sent(&db, "ana", "BOB", before).await.unwrap(),
                Some(sent.sent_at)
            );
            assert_eq!(
                last_sent(&db, "ana", "bob", sent.sent_at).await.unwrap(),
                None
            );
        }
    }

    #[tokio::test]
    async fn chat_rules_are_kept_per_channel() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            crate::accounts::store::create(&db, "ana", "x")
                .await
                .unwrap();
            assert_eq!(settings(&db, "ana").await.unwrap(), Settings::default());
            set_rules(&db, "ana", 10, Some(5)).await.unwrap();
            let terms = vec!["spam link".to_string(), "scam".to_string()];
            set_blocked_terms(&db, "ana", &terms).await.unwrap();
            let set = Settings {
                slow_secs: 10,
                followers_only_min: Some(5),
                blocked_terms: terms,
            };
            assert_eq!(
                settings(&db, "ana").await.unwrap(),
                set,
                "each kept beside the other"
            );
            set_rules(&db, "ana", 0, None).await.unwrap();
            set_blocked_terms(&db, "ana", &[]).await.unwrap();
            assert_eq!(settings(&db, "ana").await.unwrap(), Settings::default());
        }
    }

    #[tokio::test]
    async fn moderators_are_appointed_once_per_channel_and_leave_with_their_account() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            crate::accounts::store::create(&db, "ana", "x")
                .await
                .unwrap();
            let bob = crate::accounts::store::create(&db, "bob", "x")
                .await
                .unwrap()
                .id;
            crate::accounts::store::create(&db, "carl", "x")
                .await
                .unwrap();
            assert_eq!(poster(&db, "ana", bob).await.unwrap(), (false, None));
            assert!(appoint(&db, "ana", bob).await.unwrap());
            assert!(!appoint(&db, "ana", bob).await.unwrap(), "once");
            assert_eq!(poster(&db, "ana", bob).await.unwrap(), (true, None));
            assert!(!poster(&db, "carl", bob).await.unwrap().0, "one channel");
            assert!(is_moderator(&db, "ana", "BOB").await.unwrap());
            assert!(!is_moderator(&db, "ana", "carl").await.unwrap());
            let listed = moderators(&db, "ana").await.unwrap();
            assert_eq!(
                listed.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
                ["bob"]
            );
            assert!(dismiss(&db, "ana", "Bob").await.unwrap());
            assert!(!dismiss(&db, "ana", "bob").await.unwrap());
            assert!(!is_moderator(&db, "ana", "bob").await.unwrap());

            appoint(&db, "ana", bob).await.unwrap();
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(bob)
                .execute(&db)
                .await
                .unwrap();
            assert!(moderators(&db, "ana").await.unwrap().is_empty());
        }
    }
}
