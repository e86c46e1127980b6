//! Listening on both address families, and serving with graceful shutdown: on the first
//! shutdown signal readiness turns to draining while every route keeps serving for the drain
//! delay; then the listeners close, and in-flight requests finish within the shutdown deadline.
//! The process counts the signals, so that a second one can cut the shutdown short.
//!
//! Each connection is served under the header and idle timeouts ([`connection`]).

mod connection;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

pub use connection::Timeouts;

use crate::platform::config::Config;
use crate::platform::contract::logging::{event, message};
use crate::platform::http::Readiness;

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

/// How the servers stop once the shutdown signal has arrived.
#[derive(Clone, Copy, Debug)]
pub struct Shutdown {
    /// How long readiness says draining while every route keeps serving, before the listeners
    /// close.
    pub drain_delay: Duration,
    /// How long in-flight requests get once the listeners are closed: the shutdown deadline.
    pub timeout: Duration,
}

impl From<&Config> for Shutdown {
    fn from(config: &Config) -> Self {
        Self {
            drain_delay: config.shutdown_drain_delay,
            timeout: config.shutdown_timeout,
        }
    }
}

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

/// Serves each router on its listener (the public server, the metrics server), every connection
/// under `timeouts`, until `signal` resolves; then readiness says draining while they keep
/// serving for `shutdown.drain_delay`, and then they stop, with at most `shutdown.timeout` for
/// the requests in flight. Failures are logged here.
///
/// Returns the part of `shutdown.timeout` that is left, for flushing telemetry.
///
/// # Errors
/// When a server fails, or requests are still in flight at the deadline.
pub async fn serve(
    servers: Vec<(TcpListener, Router)>,
    readiness: Readiness,
    timeouts: Timeouts,
    shutdown: Shutdown,
    signal: impl Future<Output = ()>,
) -> Result<Duration, ServeError> {
    let (stop, stopped) = watch::channel(());
    let mut running = JoinSet::new();
    for (listener, app) in servers {
        running.spawn(accept(listener, app, timeouts, stopped.clone()));
    }

    until(&mut running, signal).await?;
    readiness.start_draining();
    tracing::info!("{}", message::SHUTTING_DOWN);
    // Load balancers notice the failing readiness probe only after a while, and keep sending
    // requests until then: those are served, not refused.
    if !shutdown.drain_delay.is_zero() {
        until(&mut running, tokio::time::sleep(shutdown.drain_delay)).await?;
    }
    let closed = Instant::now();
    let _ = stop.send(());

    let deadline = shutdown.timeout;
    let drained = tokio::time::timeout(deadline, async {
        while let Some(ended) = running.join_next().await {
            outcome(ended)?;
        }
        Ok(())
    });
    match drained.await {
        Ok(Ok(())) => {
            tracing::info!("{}", message::STOPPED);
            Ok(deadline.saturating_sub(closed.elapsed()))
        }
        Ok(Err(error)) => Err(failed(ServeError::Io(error))),
        // Dropping the set aborts the servers still running.
        Err(_) => Err(failed(ServeError::DeadlineExceeded(deadline))),
    }
}

/// Serves each connection `listener` accepts on a task of its own, until `stopped` changes (or its
/// sender is dropped); then closes the listener and waits for the connections, which close once
/// they have nothing left to answer.
async fn accept(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    mut stopped: watch::Receiver<()>,
) -> io::Result<()> {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let app = app.clone();
                    connections.spawn(connection::serve(stream, app, timeouts, stopped.clone()));
                }
                // A client that gave up before its turn; the listener is fine.
                Err(error) if is_connection_error(&error) => {}
                // Out of file descriptors, most likely: connections must end before others can
                // be taken.
                Err(_) => tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    _ = stopped.changed() => break,
                },
            },
            _ = stopped.changed() => break,
            // Finished connections are let go of as they end.
            Some(_) = connections.join_next() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// How long the server waits after failing to accept a connection for another reason than the
/// client's.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves until `event` resolves. A server that ends before it is told to stop has failed, error
/// or not.
async fn until(
    running: &mut JoinSet<io::Result<()>>,
    event: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    tokio::select! {
        Some(ended) = running.join_next() => {
            let error = outcome(ended).err().unwrap_or_else(|| {
                io::Error::other("a server stopped before the shutdown")
            });
            Err(failed(ServeError::Io(error)))
        }
        () = event => Ok(()),
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

/// The shutdown signals the process has received (SIGTERM and SIGINT; Ctrl+C outside Unix):
/// the first starts the graceful shutdown, a second one cuts it short.
#[derive(Clone, Debug)]
pub struct Signals {
    received: watch::Receiver<usize>,
}

impl Signals {
    /// Installs the signal handlers and counts every signal from now on. Installed before
    /// serving, so a signal that arrives early is not lost.
    ///
    /// # Errors
    /// When the signal handlers cannot be installed.
    #[cfg(unix)]
    pub fn install() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};

        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let (count, received) = watch::channel(0);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(()) = terminate.recv() => {}
                    Some(()) = interrupt.recv() => {}
                    // Neither can deliver signals any more.
                    else => return,
                }
                count.send_modify(|count| *count += 1);
            }
        });
        Ok(Self { received })
    }

    /// Installs the Ctrl+C handler and counts every Ctrl+C from now on.
    ///
    /// # Errors
    /// Never; the signature matches the Unix version.
    #[cfg(not(unix))]
    pub fn install() -> io::Result<Self> {
        let (count, received) = watch::channel(0);
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                count.send_modify(|count| *count += 1);
            }
        });
        Ok(Self { received })
    }

    /// Resolves once `n` signals have arrived in all, counting those that came before the call.
    pub fn nth(&self, n: usize) -> impl Future<Output = ()> + Send + 'static {
        let mut received = self.received.clone();
        async move {
            if received.wait_for(|&count| count >= n).await.is_err() {
                // No signal can arrive any more.
                std::future::pending::<()>().await;
            }
        }
    }
}
