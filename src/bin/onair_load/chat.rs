//! The chat side of a load run: one fresh account posts short messages through the
//! `post_chat` server function while the viewers measure how long each takes to reach them
//! (arrival minus the message's `sent_at`, stamped by the server when it stored it).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Between two posts: under the chat's rate limit (5 per 10 s per user).
pub const EVERY: Duration = Duration::from_millis(2500);

/// One HTTP/1.1 form POST; returns the response head and body.
async fn post_form(
    addr: SocketAddr,
    host: &str,
    path: &str,
    cookie: Option<&str>,
    form: &str,
) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{cookie}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .map_err(|_| format!("{path}: no answer in 10 s"))?
        .map_err(|e| format!("read: {e}"))?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// Creates a throwaway account and returns its session cookie (`name=value`).
pub async fn sign_up(addr: SocketAddr, host: &str) -> Result<String, String> {
    let stamp = std::process::id() as u64 * 1_000 + (super::now_unix_ms() as u64 % 1_000);
    let form = format!("username=load{stamp}&password=load-tool-{stamp}");
    let response = post_form(addr, host, "/api/sign_up", None, &form).await?;
    response
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            let cookie = value.trim().split(';').next().unwrap_or("");
            (name.eq_ignore_ascii_case("set-cookie") && cookie.starts_with("onair_session="))
                .then(|| cookie.to_string())
        })
        .ok_or_else(|| {
            format!(
                "sign-up gave no session: {}",
                response.lines().next().unwrap_or("")
            )
        })
}

/// Posts `text` to `channel`'s chat.
pub async fn post(
    addr: SocketAddr,
    host: &str,
    cookie: &str,
    channel: &str,
    text: &str,
) -> Result<(), String> {
    let form = format!("channel={channel}&text={}", text.replace(' ', "+"));
    let response = post_form(addr, host, "/api/post_chat", Some(cookie), &form).await?;
    let status = response.lines().next().unwrap_or("");
    if status.contains(" 200 ") || status.contains(" 302 ") || status.contains(" 303 ") {
        Ok(())
    } else {
        Err(format!(
            "post_chat: {status}: {}",
            response.lines().last().unwrap_or("")
        ))
    }
}

/// The `sent_at` of a chat event, from the start of its JSON data.
pub fn sent_at(data_head: &[u8]) -> Option<f64> {
    const KEY: &[u8] = b"\"sent_at\":";
    let at = memchr::memmem::find(data_head, KEY)? + KEY.len();
    let digits: Vec<u8> = data_head[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::sent_at;

    #[test]
    fn sent_at_is_read_from_the_event_data() {
        let data = br#"{"id":7,"author":"load1","text":"load 3","sent_at":1700000000123}"#;
        assert_eq!(sent_at(data), Some(1_700_000_000_123.0));
        assert_eq!(sent_at(br#"{"id":7,"author":"lo"#), None);
    }
}
