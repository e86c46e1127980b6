//! Serving with graceful shutdown: on the shutdown signal readiness turns to draining, the
//! listener closes, and in-flight requests finish, all within the shutdown deadline.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

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

/// Serves `app` on `listener` until `shutdown` resolves, then drains for at most `deadline`.
/// Failures are logged here.
///
/// # Errors
/// When the server fails, or requests are still in flight at the deadline.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    readiness: Readiness,
    deadline: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let (stop, stopped) = oneshot::channel::<()>();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // A dropped sender stops the server too.
            let _ = stopped.await;
        })
        .into_future();
    tokio::pin!(server);

    tokio::select! {
        result = &mut server => return result.map_err(|error| failed(ServeError::Io(error))),
        () = shutdown => {}
    }
    readiness.start_draining();
    tracing::info!("shutting down");
    let _ = stop.send(());

    match tokio::time::timeout(deadline, server).await {
        Ok(Ok(())) => {
            tracing::info!("server stopped");
            Ok(())
        }
        Ok(Err(error)) => Err(failed(ServeError::Io(error))),
        Err(_) => Err(failed(ServeError::DeadlineExceeded(deadline))),
    }
}

fn failed(error: ServeError) -> ServeError {
    tracing::error!(error = %error, "server failed");
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
