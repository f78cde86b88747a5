//! Event latency across nodes, for `bench/run`: a phone subscribed to
//! `orderPoolEvents` on node B while members claim open orders through node
//! A at a fixed rate. Each `CLAIMED` event's latency is the time it reached
//! the phone minus the event's own time (taken when the claim was made, just
//! before its transaction committed), so it covers commit → relay → Redis →
//! node B → the GraphQL resolution of the order → the socket.
//!
//! ```text
//! cargo run --release --features bench --example event_latency -- \
//!   --a http://127.0.0.1:18080 --b http://127.0.0.1:18081 --community 5 \
//!   --tokens members.tokens --subscriber-token "$TOKEN" --first-id 1 --last-id 30000 \
//!   --rate 1000 --seconds 10
//! ```
//!
//! Prints the figures and a last line `EVENT_LATENCY sent=… claimed=… received=… rate=… p50_ms=… p99_ms=… max_ms=…`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Args {
    a: String,
    b: String,
    community: String,
    tokens: Vec<String>,
    subscriber_token: String,
    first_id: i64,
    last_id: i64,
    rate: u64,
    seconds: u64,
}

fn args() -> Args {
    let mut map = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(key) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{key} needs a value"));
        map.insert(key.trim_start_matches("--").to_owned(), value);
    }
    let get = |k: &str| map.get(k).cloned().unwrap_or_else(|| panic!("--{k} is required"));
    let tokens: Vec<String> = std::fs::read_to_string(get("tokens"))
        .expect("the tokens file should be readable")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(!tokens.is_empty(), "the tokens file is empty");
    Args {
        a: get("a"),
        b: get("b"),
        community: get("community"),
        tokens,
        subscriber_token: get("subscriber-token"),
        first_id: get("first-id").parse().unwrap(),
        last_id: get("last-id").parse().unwrap(),
        rate: get("rate").parse().unwrap(),
        seconds: get("seconds").parse().unwrap(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args = args();
    let total = args.rate * args.seconds;
    assert!(
        (args.last_id - args.first_id + 1) as u64 >= total,
        "{total} claims need as many open orders; the range holds {}",
        args.last_id - args.first_id + 1
    );

    // The phone on node B.
    let url = format!("{}/graphql", args.b.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.expect("node B should accept the socket");
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", args.subscriber_token) } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let subscribe = json!({ "id": "pool", "type": "subscribe", "payload": {
        "query": "subscription($c: ID!) { orderPoolEvents(communityId: $c) { kind at order { id status } } }",
        "variables": { "c": args.community } } });
    ws.send(Message::text(subscribe.to_string())).await.unwrap();
    let (mut sink, mut stream) = ws.split();
    let (latencies_tx, mut latencies_rx) = tokio::sync::mpsc::unbounded_channel::<f64>();
    let receiver = tokio::spawn(async move {
        while let Some(Ok(frame)) = stream.next().await {
            let Message::Text(text) = frame else { continue };
            let received = Utc::now();
            let message: Value = serde_json::from_str(text.as_str()).unwrap();
            match message["type"].as_str() {
                Some("next") => {
                    let event = &message["payload"]["data"]["orderPoolEvents"];
                    if event["kind"] == "CLAIMED" {
                        let at: DateTime<Utc> = event["at"].as_str().unwrap().parse().unwrap();
                        let ms = (received - at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0;
                        if latencies_tx.send(ms).is_err() {
                            return;
                        }
                    }
                }
                Some("ping") => sink.send(Message::text(json!({ "type": "pong" }).to_string())).await.unwrap(),
                Some("connection_ack") | Some("pong") => {}
                _ => panic!("node B answered {message}"),
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Claims through node A, open loop at the given rate.
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let claimed = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let tokens = Arc::new(args.tokens);
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = 0u64;
    let mut inflight = Vec::with_capacity(total as usize);
    while sent < total {
        ticker.tick().await;
        let due = ((started.elapsed().as_secs_f64() * args.rate as f64) as u64).min(total);
        while sent < due {
            let id = args.first_id + sent as i64;
            let token = tokens[sent as usize % tokens.len()].clone();
            let (client, a, claimed, failed) = (client.clone(), args.a.clone(), claimed.clone(), failed.clone());
            inflight.push(tokio::spawn(async move {
                let body = json!({ "query": "mutation($id: ID!) { claimOrder(orderId: $id) { id } }",
                    "variables": { "id": id.to_string() } });
                let ok = match client.post(format!("{a}/graphql")).bearer_auth(token).json(&body).send().await {
                    Ok(r) => r.json::<Value>().await.map(|v| v.get("errors").is_none()).unwrap_or(false),
                    Err(_) => false,
                };
                if ok {
                    claimed.fetch_add(1, Ordering::Relaxed)
                } else {
                    failed.fetch_add(1, Ordering::Relaxed)
                };
            }));
            sent += 1;
        }
    }
    for task in inflight {
        task.await.unwrap();
    }
    let send_secs = started.elapsed().as_secs_f64();
    let claimed = claimed.load(Ordering::Relaxed);

    // Every claim's event, or give up five seconds after the last one.
    let mut latencies = Vec::with_capacity(claimed as usize);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while (latencies.len() as u64) < claimed {
        match tokio::time::timeout_at(deadline, latencies_rx.recv()).await {
            Ok(Some(ms)) => latencies.push(ms),
            _ => break,
        }
    }
    receiver.abort();
    latencies.sort_by(f64::total_cmp);
    let rate = claimed as f64 / send_secs;
    let (p50, p99, max) =
        (percentile(&latencies, 50.0), percentile(&latencies, 99.0), latencies.last().copied().unwrap_or(f64::NAN));
    println!(
        "{sent} claims sent in {send_secs:.1}s through node A ({claimed} claimed, {} failed): {rate:.0} events/s",
        failed.load(Ordering::Relaxed)
    );
    println!(
        "{} CLAIMED events reached the phone on node B: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms",
        latencies.len()
    );
    println!(
        "EVENT_LATENCY sent={sent} claimed={claimed} received={} rate={rate:.0} p50_ms={p50:.1} p99_ms={p99:.1} max_ms={max:.1}",
        latencies.len()
    );
}
