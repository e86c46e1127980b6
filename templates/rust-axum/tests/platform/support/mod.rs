//! Helpers shared by the integration tests: a raw HTTP/1.1 client (no client library needed) and
//! log capture.

#![allow(dead_code, reason = "each test crate uses its own subset")]

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::Subscriber;

/// The status, header lines and body of an HTTP response.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The header lines as sent, one per line.
    pub headers: String,
    pub body: String,
}

impl Answer {
    /// The value of header `name` (in any case), if the answer has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends one request on a new connection and reads the whole answer.
pub async fn send(addr: SocketAddr, method: &str, path: &str) -> Answer {
    send_raw(addr, method, path, "", b"").await
}

/// Sends one request with `headers` (each line ending in CRLF) and `body` as they are, and
/// reads the whole answer.
pub async fn send_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    stream
        .write_all(&[head.as_bytes(), body].concat())
        .await
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse(&String::from_utf8(raw).unwrap())
}

/// Parses an HTTP/1.1 answer with a `Content-Length` body, as the servers here send.
fn parse(raw: &str) -> Answer {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    let status = status_line.split(' ').nth(1).unwrap();
    Answer {
        status: status.parse().unwrap(),
        headers: headers.replace("\r\n", "\n"),
        body: body.to_owned(),
    }
}

/// Reads one answer from a connection that may stay open: the head, then a `Content-Length`
/// body. Fails after 10 s without one.
pub async fn read_answer(stream: &mut TcpStream) -> Answer {
    tokio::time::timeout(Duration::from_secs(10), read_answer_now(stream))
        .await
        .expect("no answer within 10 s")
}

async fn read_answer_now(stream: &mut TcpStream) -> Answer {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = stream.read_u8().await.unwrap();
        head.push(byte);
    }
    let mut answer = parse(&String::from_utf8(head).unwrap());
    let length = answer
        .header("content-length")
        .map_or(0, |n| n.parse().unwrap());
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.unwrap();
    answer.body = String::from_utf8(body).unwrap();
    answer
}

/// Log lines captured for the current thread; see [`capture_logs`].
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Every line written so far, parsed.
    pub fn lines(&self) -> Vec<Map<String, Value>> {
        let bytes = self.0.lock().unwrap();
        parse_lines(&String::from_utf8_lossy(&bytes))
    }
}

thread_local! {
    static CAPTURE: RefCell<Option<Logs>> = const { RefCell::new(None) };
}

/// Captures the log lines written on this thread from now on: everything a `#[tokio::test]`
/// runs, as its runtime lives on the test's thread.
///
/// `subscriber` builds the service's subscriber around a line sink; it is installed once, as
/// the global default. Per-test scoped subscribers would race with tracing's process-wide
/// callsite cache and lose events when tests run in parallel.
pub fn capture_logs<S>(subscriber: impl FnOnce(fn(&[u8])) -> S) -> Logs
where
    S: Subscriber + Send + Sync + 'static,
{
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| tracing::subscriber::set_global_default(subscriber(write_line)).unwrap());
    let logs = Logs::default();
    CAPTURE.with(|capture| *capture.borrow_mut() = Some(logs.clone()));
    logs
}

fn write_line(line: &[u8]) {
    CAPTURE.with(|capture| {
        if let Some(logs) = capture.borrow().as_ref() {
            logs.0.lock().unwrap().extend_from_slice(line);
        }
    });
}

/// Parses JSON lines, failing on anything that is not one JSON object per line.
pub fn parse_lines(text: &str) -> Vec<Map<String, Value>> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}
