//! One connection, served by hyper (HTTP/1.1) under the contract's connection timeouts.
//!
//! hyper's own header-read timeout cannot be used for them: it runs from the moment the
//! connection waits for a request, so a keep-alive connection between two requests would get it
//! instead of the idle timeout. Here the connection's phase decides its deadline: waiting for the
//! next request, it has the idle timeout; from that request's first byte on (and from the accept,
//! for the first request), the header timeout; once the headers are in, none, as the request is
//! the middleware's: its body and its handler each have the request timeout. A connection
//! answering a request has no deadline either, until its last byte is written.
//!
//! On shutdown, a connection waiting for a request is closed at once: nothing was done for what
//! may be arriving. One receiving a request's headers gets until their deadline to finish them;
//! one whose request is with the service finishes its answer. Both answers say
//! `Connection: close`, and the connection closes after them. Either way it closes without a
//! reset (see [`linger`]), so that an answer on its way is not lost.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

use crate::platform::config::Config;

/// How long a client may keep a connection open without sending what it owes.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// How long a client has to send a request's headers.
    pub read_header: Duration,
    /// How long a keep-alive connection may wait for its next request.
    pub idle: Duration,
}

impl From<&Config> for Timeouts {
    fn from(config: &Config) -> Self {
        Self {
            read_header: config.read_header_timeout,
            idle: config.idle_timeout,
        }
    }
}

/// How long, when a connection closes, what the client still sends is read and dropped before
/// the socket closes (see [`linger`]).
const LINGER: Duration = Duration::from_millis(500);

/// Serves `app` on `stream` until the client closes the connection, misses a deadline, or the
/// connection has nothing left to do after `stopped` changes (or its sender is dropped).
pub(super) async fn serve(
    stream: TcpStream,
    app: Router,
    timeouts: Timeouts,
    mut stopped: watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new(timeouts));
    let io = TokioIo::new(Watched {
        stream,
        activity: Arc::clone(&activity),
    });
    let service = Service {
        app,
        activity: Arc::clone(&activity),
    };
    let mut connection = http1::Builder::new()
        // Its timer would run while the connection waits for a request; the deadlines are kept
        // here instead.
        .header_read_timeout(None)
        .serve_connection(io, service);
    let mut expiry = pin!(tokio::time::sleep_until(activity.deadline_or_now()));
    // Resolves once, when the server stops (or is dropped).
    let mut stop = pin!(async move {
        let _ = stopped.changed().await;
    });
    let mut stopping = false;
    let mut closing = false;
    let ended = poll_fn(|cx| {
        if !stopping && stop.as_mut().poll(cx).is_ready() {
            stopping = true;
            activity.stop();
        }
        if let Poll::Ready(ended) = poll_served(&mut connection, &activity, expiry.as_mut(), cx) {
            return Poll::Ready(ended);
        }
        if stopping {
            match activity.phase() {
                // No request to finish: it closes now, before any work on what may be arriving.
                Phase::New(_) | Phase::Idle(_) => return Poll::Ready(Ended::Stopped),
                // hyper finishes the answer, then closes the connection.
                Phase::Busy | Phase::Answered if !closing => {
                    closing = true;
                    Pin::new(&mut connection).graceful_shutdown();
                    cx.waker().wake_by_ref();
                }
                // Headers on their way get until their deadline: hyper, told now, would close
                // a keep-alive connection at once, dropping the request.
                Phase::Head(_) | Phase::Busy | Phase::Answered => {}
            }
        }
        Poll::Pending
    })
    .await;
    match ended {
        // Silent for too long: there is no answer to protect, the connection closes at once.
        Ended::Expired => {}
        Ended::Served | Ended::Stopped => {
            linger(connection.into_parts().io.into_inner().stream).await;
        }
    }
}

/// How serving a connection ended.
enum Ended {
    /// hyper is done with it: the client closed it, or it was closed after an answer.
    Served,
    /// The server stopped while the connection waited for a request.
    Stopped,
    /// The deadline of its phase passed.
    Expired,
}

/// Drives the connection, and ends it when the deadline of its current phase passes. Errors
/// (a client that breaks off, a request hyper cannot parse and answers itself) end it too.
fn poll_served(
    connection: &mut http1::Connection<TokioIo<Watched>, Service>,
    activity: &Activity,
    mut expiry: Pin<&mut Sleep>,
    cx: &mut Context<'_>,
) -> Poll<Ended> {
    if connection.poll_without_shutdown(cx).is_ready() {
        return Poll::Ready(Ended::Served);
    }
    // The phase only changes while hyper runs, just above: the deadline read now holds until
    // the connection is polled again.
    if let Some(deadline) = activity.deadline() {
        if expiry.deadline() != deadline {
            expiry.as_mut().reset(deadline);
        }
        if expiry.poll(cx).is_ready() {
            return Poll::Ready(Ended::Expired);
        }
    }
    Poll::Pending
}

/// Closes a connection so that its last answer reaches the client. A socket closed with unread
/// data resets the connection, and the reset can destroy an answer the client has not read yet:
/// one sent before the request's body arrived in full (408, 413), or before a request the client
/// sent meanwhile. So the write side is shut first, and whatever the client still sends is read
/// and dropped until it closes its side, for at most [`LINGER`].
async fn linger(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0; 4096];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(read) if read > 0) {} };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Where a connection stands, which sets how long it may stay silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepted, and no byte yet: its first request's headers are due by the deadline.
    New(Instant),
    /// Waiting for the first byte of its next request, until the deadline.
    Idle(Instant),
    /// Receiving a request's headers, which must be complete by the deadline.
    Head(Instant),
    /// The request is with the service, or its answer is being written.
    Busy,
    /// The answer's body has ended; its last bytes may still wait in hyper's buffer.
    Answered,
}

/// What a connection is doing, updated by its stream, its service and its answers' bodies.
#[derive(Debug)]
struct Activity {
    timeouts: Timeouts,
    phase: Mutex<Phase>,
    /// The server is stopping: answers from now on close the connection.
    stopping: AtomicBool,
}

impl Activity {
    /// A new connection owes its first request's headers from now on.
    fn new(timeouts: Timeouts) -> Self {
        Self {
            timeouts,
            phase: Mutex::new(Phase::New(Instant::now() + timeouts.read_header)),
            stopping: AtomicBool::new(false),
        }
    }

    fn update(&self, next: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        *phase = next(*phase);
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: unless a request is under way, they begin one.
    fn received(&self) {
        let read_header = self.timeouts.read_header;
        self.update(|phase| match phase {
            Phase::New(deadline) => Phase::Head(deadline),
            Phase::Idle(_) => Phase::Head(Instant::now() + read_header),
            other => other,
        });
    }

    /// hyper has read a request's headers and hands the request to the service.
    fn request(&self) {
        self.update(|_| Phase::Busy);
    }

    /// The answer's body has ended (or was dropped).
    fn answered(&self) {
        self.update(|phase| match phase {
            Phase::Busy => Phase::Answered,
            other => other,
        });
    }

    /// hyper has written everything it had: an answered connection waits for the next request.
    fn flushed(&self) {
        let idle = self.timeouts.idle;
        self.update(|phase| match phase {
            Phase::Answered => Phase::Idle(Instant::now() + idle),
            other => other,
        });
    }

    /// When the connection closes unless it moves on to another phase.
    fn deadline(&self) -> Option<Instant> {
        match self.phase() {
            Phase::New(deadline) | Phase::Idle(deadline) | Phase::Head(deadline) => Some(deadline),
            Phase::Busy | Phase::Answered => None,
        }
    }

    fn deadline_or_now(&self) -> Instant {
        self.deadline().unwrap_or_else(Instant::now)
    }

    fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

/// The client's stream, reporting reads and flushes to the connection's [`Activity`].
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.activity.received();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    /// hyper flushes the stream only once its own buffer is written out.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.stream).poll_flush(cx))?;
        this.activity.flushed();
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The router as hyper calls it, once per request of the connection.
#[derive(Clone, Debug)]
struct Service {
    app: Router,
    activity: Arc<Activity>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Service {
    type Response = hyper::Response<Answer>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        self.activity.request();
        let app = self.app.clone();
        let activity = Arc::clone(&self.activity);
        Box::pin(async move {
            let Ok(mut response): Result<Response, Infallible> =
                app.oneshot(request.map(Body::new)).await;
            if activity.is_stopping() {
                // The client learns that the connection ends with this answer.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(response.map(|body| Answer { body, activity }))
        })
    }
}

/// An answer's body, which tells the connection's [`Activity`] when it is done.
struct Answer {
    body: Body,
    activity: Arc<Activity>,
}

impl HttpBody for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// hyper drops the body once it has taken its last frame, or the connection ends.
impl Drop for Answer {
    fn drop(&mut self) {
        self.activity.answered();
    }
}
