//! Listening on both address families, and serving with graceful shutdown: on the shutdown
//! signal readiness turns to draining, the listeners close, and in-flight requests finish, all
//! within the shutdown deadline.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

use crate::contract::logging::{event, message};
use crate::http::Readiness;

/// Why serving ended in failure.
#[derive(Debug)]
pub enum ServeError {
    /// The server itself failed.
    Io(io::Error),
    /// Requests were still in flight when the shutdown deadline passed.
    DeadlineExceeded(Duration),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(error) => fmt::Display::fmt(error, f),
            Self::DeadlineExceeded(deadline) => write!(
                f,
                "requests still in flight after the shutdown deadline of {} ms",
                deadline.as_millis()
            ),
        }
    }
}

impl std::error::Error for ServeError {}

/// Connections a listener queues before the server accepts them, as tokio's own `bind` does.
const BACKLOG: i32 = 1024;

/// Listens on `port` on every IPv4 and IPv6 address: one IPv6 socket that takes IPv4 too, as
/// mapped addresses, whatever the system's default for IPv6 sockets. A host without IPv6
/// gets an IPv4 socket.
///
/// # Errors
/// When the port cannot be bound (in use, not allowed).
pub fn listen(port: u16) -> io::Result<TcpListener> {
    let (socket, address) = match dual_stack_socket() {
        Ok(socket) => (socket, SocketAddr::from((Ipv6Addr::UNSPECIFIED, port))),
        Err(_) => (
            Socket::new(Domain::IPV4, Type::STREAM, None)?,
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        ),
    };
    // As tokio and std do on Unix: a restarted server gets its port back at once.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    TcpListener::from_std(socket.into())
}

fn dual_stack_socket() -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV6, Type::STREAM, None)?;
    socket.set_only_v6(false)?;
    Ok(socket)
}

/// Serves each router on its listener (the public server, the metrics server) until `shutdown`
/// resolves, then drains them all for at most `deadline`. Failures are logged here.
///
/// Returns the part of `deadline` that is left, for flushing telemetry.
///
/// # Errors
/// When a server fails, or requests are still in flight at the deadline.
pub async fn serve(
    servers: Vec<(TcpListener, Router)>,
    readiness: Readiness,
    deadline: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<Duration, ServeError> {
    let (stop, stopped) = watch::channel(());
    let mut running = JoinSet::new();
    for (listener, app) in servers {
        let mut stopped = stopped.clone();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            // A dropped sender stops the servers too.
            let _ = stopped.changed().await;
        });
        running.spawn(server.into_future());
    }

    tokio::select! {
        Some(ended) = running.join_next() => {
            // Before the shutdown signal, a server that ends has failed, error or not.
            let error = outcome(ended).err().unwrap_or_else(|| {
                io::Error::other("a server stopped before the shutdown signal")
            });
            return Err(failed(ServeError::Io(error)));
        }
        () = shutdown => {}
    }
    let signalled = Instant::now();
    readiness.start_draining();
    tracing::info!("{}", message::SHUTTING_DOWN);
    let _ = stop.send(());

    let drained = tokio::time::timeout(deadline, async {
        while let Some(ended) = running.join_next().await {
            outcome(ended)?;
        }
        Ok(())
    });
    match drained.await {
        Ok(Ok(())) => {
            tracing::info!("{}", message::STOPPED);
            Ok(deadline.saturating_sub(signalled.elapsed()))
        }
        Ok(Err(error)) => Err(failed(ServeError::Io(error))),
        // Dropping the set aborts the servers still running.
        Err(_) => Err(failed(ServeError::DeadlineExceeded(deadline))),
    }
}

/// How a server task ended; a panic counts as a failure.
fn outcome(ended: Result<io::Result<()>, JoinError>) -> io::Result<()> {
    ended.unwrap_or_else(|error| Err(io::Error::other(error)))
}

fn failed(error: ServeError) -> ServeError {
    tracing::error!({ event::ERROR } = %error, "{}", message::FAILED);
    error
}

/// Resolves on the first SIGTERM or SIGINT. Installed before serving, so a signal that
/// arrives early is not lost.
///
/// # Errors
/// When the signal handlers cannot be installed.
#[cfg(unix)]
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// Resolves on Ctrl+C: the only shutdown signal outside Unix.
///
/// # Errors
/// Never; the signature matches the Unix version.
#[cfg(not(unix))]
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
