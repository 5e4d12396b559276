//! A deadline for every request head on a connection, not only its first.
//!
//! actix's own head timer (`server.request_head_timeout`) runs for a connection's first
//! request only. After a response, its keep-alive timer closes a connection that stays
//! silent, but it stops at the first byte of the next request, so a client could then send
//! that head one byte every few seconds and hold the connection (and up to actix's head
//! buffer) forever.
//!
//! [`Watched`] wraps each accepted socket and [`HeadClock`] is shared between it and the
//! requests of that connection ([`mark_requests`] marks when one is in progress). While no
//! request is in progress, the connection must complete its next request head within
//! `request_head_timeout` of that head's first byte, and at the latest `keep_alive` plus
//! `request_head_timeout` after the last response (bytes that arrived while a request was
//! still in progress may already be part of the next head). Past the deadline the next read
//! fails with `TimedOut` and actix drops the connection.
//!
//! Architecture Invariant: [`Watched`] never changes, holds back or re-frames a byte of the
//! stream. Reads and writes pass straight through to the socket; the only thing it adds is
//! an error in place of a read once the deadline has passed. HTTP framing is actix's alone.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// What a connection and its requests share: whether a request is in progress, and how
/// many have ended (so the connection can tell that one ended since it last looked).
#[derive(Debug, Default)]
pub struct HeadClock {
    in_progress: AtomicU32,
    ended: AtomicU64,
}

impl HeadClock {
    fn idle(&self) -> bool {
        self.in_progress.load(Ordering::Acquire) == 0
    }

    fn ended(&self) -> u64 {
        self.ended.load(Ordering::Acquire)
    }
}

/// Marks a request in progress on its connection's [`HeadClock`] for as long as it lasts
/// (until its response is ready, or it is dropped).
struct InProgress(Arc<HeadClock>);

impl InProgress {
    fn start(clock: Arc<HeadClock>) -> InProgress {
        clock.in_progress.fetch_add(1, Ordering::AcqRel);
        InProgress(clock)
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.ended.fetch_add(1, Ordering::AcqRel);
        self.0.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Middleware: marks each request in progress on its connection's clock while it is handled.
pub async fn mark_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let in_progress = request
        .conn_data::<Arc<HeadClock>>()
        .cloned()
        .map(InProgress::start);
    let response = next.call(request).await;
    drop(in_progress);
    response
}

/// The deadlines of one connection (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct HeadDeadlines {
    /// How long a head may take from its first byte (`server.request_head_timeout`).
    pub head: Duration,
    /// How long a connection may stay silent between requests (`server.keep_alive`).
    pub keep_alive: Duration,
}

/// A socket whose request heads must arrive in time (see the module docs).
#[derive(Debug)]
pub struct Watched<IO> {
    inner: IO,
    clock: Arc<HeadClock>,
    deadlines: HeadDeadlines,
    /// The requests ended when the connection last looked: a change means one ended since.
    ended_seen: u64,
    /// Set while the connection waits for a head.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Whether `deadline` already counts from the head's first byte.
    head_started: bool,
}

impl<IO> Watched<IO> {
    pub fn new(inner: IO, deadlines: HeadDeadlines) -> Watched<IO> {
        Watched {
            inner,
            clock: Arc::default(),
            deadlines,
            ended_seen: 0,
            // A connection opens waiting for its first head: that one starts the deadline.
            deadline: None,
            head_started: false,
        }
    }

    /// The clock the connection's requests mark (given to them as connection data).
    pub fn clock(&self) -> Arc<HeadClock> {
        self.clock.clone()
    }

    pub fn get_ref(&self) -> &IO {
        &self.inner
    }

    /// Brings the deadline up to date before a read: none while a request is in progress; a
    /// fallback one when a request has ended since the last look.
    fn before_read(&mut self) {
        if !self.clock.idle() {
            self.deadline = None;
            self.head_started = false;
            return;
        }
        let ended = self.clock.ended();
        if ended != self.ended_seen {
            self.ended_seen = ended;
            self.head_started = false;
            self.set_deadline(self.deadlines.keep_alive + self.deadlines.head);
        }
    }

    /// After a read that brought bytes while no request was in progress: the head under way
    /// has `head` from now, unless an earlier deadline already holds.
    fn after_bytes(&mut self) {
        if self.head_started || !self.clock.idle() {
            return;
        }
        self.head_started = true;
        let from_now = Instant::now() + self.deadlines.head;
        match &mut self.deadline {
            Some(deadline) if deadline.deadline() <= from_now => {}
            _ => self.set_deadline(self.deadlines.head),
        }
    }

    fn set_deadline(&mut self, after: Duration) {
        self.deadline = Some(Box::pin(tokio::time::sleep(after)));
    }

    /// `Ready` once the deadline has passed (and registers the waker until then).
    fn poll_deadline(&mut self, context: &mut Context<'_>) -> Poll<()> {
        match &mut self.deadline {
            Some(deadline) => deadline.as_mut().poll(context),
            None => Poll::Pending,
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the request head did not arrive within server.request_head_timeout",
    )
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.before_read();
        if this.poll_deadline(context).is_ready() {
            return Poll::Ready(Err(timed_out()));
        }
        let before = buffer.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(context, buffer);
        if let Poll::Ready(Ok(())) = read
            && buffer.filled().len() > before
        {
            this.after_bytes();
            // Registers the (possibly new) deadline's waker: actix may not read again
            // until the socket has more, and the deadline must still wake it.
            if this.poll_deadline(context).is_ready() {
                return Poll::Ready(Err(timed_out()));
            }
        }
        read
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(context, bytes)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(context)
    }
}
