//! The `healthcheck` command: the binary probes its own readiness endpoint, so distroless
//! images need neither a shell nor curl for their container health check.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::platform::contract::routes;

/// Time allowed for the whole probe: connect, ask, read the answer.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Longest status line read from the server.
const MAX_STATUS_LINE: u64 = 1024;

/// Asks the server on `127.0.0.1:port` whether it is ready.
///
/// # Errors
/// When the server cannot be reached in time or answers anything but 200.
pub async fn probe(port: u16) -> io::Result<()> {
    let status = tokio::time::timeout(TIMEOUT, readiness_status(port))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer within the timeout"))??;
    if status == 200 {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{} answered {status}",
            routes::READINESS
        )))
    }
}

/// A minimal HTTP/1.1 GET: a full client library would be a large dependency for one request.
async fn readiness_status(port: u16) -> io::Result<u16> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{port}\r\nConnection: close\r\n\r\n",
        routes::READINESS,
        Ipv4Addr::LOCALHOST
    );
    stream.write_all(request.as_bytes()).await?;
    let mut status_line = String::new();
    BufReader::new(stream.take(MAX_STATUS_LINE))
        .read_line(&mut status_line)
        .await?;
    // "HTTP/1.1 200 OK"
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP answer"))
}
