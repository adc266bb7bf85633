//! A reader of server-sent events over HTTP, for headquarters' live board.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

/// A stream of server-sent events, read as it arrives.
pub struct Events {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl Events {
    /// Opens `url` with `token` as the bearer; the answer must be a stream.
    pub async fn open(url: &str, token: &str) -> Events {
        let response =
            reqwest::Client::new().get(url).bearer_auth(token).send().await.expect("central answers");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let kind = response.headers()["content-type"].to_str().unwrap_or_default().to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Events { response, buffer: Vec::new() }
    }

    /// The data of the next event named `name`, as JSON; comments and other
    /// events are skipped. Fails at `deadline`, a guard against a hang.
    pub async fn next(&mut self, name: &str, deadline: Instant) -> Value {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8(block).expect("events are UTF-8");
                let (mut event, mut data) = (None, String::new());
                for line in block.lines() {
                    if let Some(n) = line.strip_prefix("event:") {
                        event = Some(n.trim().to_owned());
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.strip_prefix(' ').unwrap_or(d));
                    }
                }
                if event.as_deref() == Some(name) {
                    return serde_json::from_str(&data).expect("the event's data is JSON");
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no `{name}` event came before the guard"))
                .expect("the stream reads")
                .expect("the stream goes on");
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// Events named `name` until one satisfies `check`, within `guard`.
    pub async fn until(&mut self, name: &str, guard: Duration, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + guard;
        loop {
            let data = self.next(name, deadline).await;
            if check(&data) {
                return data;
            }
        }
    }
}
