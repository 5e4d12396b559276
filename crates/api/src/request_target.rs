//! Request targets sent with raw bytes outside ASCII (`GET /customers?country=España`, not
//! percent-encoded) are refused with a problem document, like every other refusal.
//!
//! actix's HTTP parser refuses such a request line itself, before any of our code runs, with
//! a bare `400` (no body, no `X-Request-Id`) and an ERROR log line. So every connection's
//! bytes pass through [`AsciiTargets`] first: in each request line it percent-encodes the
//! bytes above 0x7F and adds the header [`RAW_TARGET_HEADER`], and [`refuse_raw_targets`]
//! then answers 400 with a problem document saying how to send the value.
//!
//! Architecture Invariant: the rewriting never touches a body. It follows each request's
//! framing (no body, or `Content-Length`); a request it cannot frame exactly that way
//! (`Transfer-Encoding`, several or unreadable `Content-Length`s, a head longer than
//! [`MAX_HEAD`]) turns the rewriting off for the rest of the connection, whose bytes then
//! pass untouched (a raw target there gets actix's bare 400, as before).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderName;
use actix_web::middleware::Next;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ApiError;

/// Added to a request whose target held raw non-ASCII bytes.
pub const RAW_TARGET_HEADER: HeaderName = HeaderName::from_static("x-clientela-raw-target");

/// The longest request head followed; actix refuses heads over 128 KiB anyway.
pub const MAX_HEAD: usize = 128 * 1024;

/// Refuses a request that [`AsciiTargets`] marked, with a problem document.
pub async fn refuse_raw_targets(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if request.headers().contains_key(RAW_TARGET_HEADER) {
        // A response, not an error: the middleware around (request ID, logging) sees it as
        // any handler's refusal.
        let refusal = ApiError::BadRequest(
            "the request target (path or query) holds characters outside ASCII; \
             percent-encode them (`country=Espa%C3%B1a`, or \
             `curl -G --data-urlencode country=España`)"
                .into(),
        );
        return Ok(request.error_response(refusal).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Where a connection's incoming bytes are, as far as the rewriting follows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// In a request head (the bytes so far are in `head`).
    Head,
    /// In a body: this many bytes to go.
    Body(u64),
    /// Framing not followed: everything passes untouched from here on.
    Untouched,
}

/// A connection whose request lines are made ASCII (see the module doc).
#[derive(Debug)]
pub struct AsciiTargets<IO> {
    inner: IO,
    position: Position,
    /// The current request head, until its blank line arrives.
    head: Vec<u8>,
    /// Bytes ready for the HTTP parser, and how many of them it has taken.
    ready: Vec<u8>,
    taken: usize,
}

impl<IO> AsciiTargets<IO> {
    pub fn new(inner: IO) -> AsciiTargets<IO> {
        AsciiTargets {
            inner,
            position: Position::Head,
            head: Vec::new(),
            ready: Vec::new(),
            taken: 0,
        }
    }

    pub fn get_ref(&self) -> &IO {
        &self.inner
    }

    /// Takes bytes read from the client and moves what can be passed on to `ready`.
    fn take_in(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.position {
                Position::Untouched => {
                    self.ready.extend_from_slice(bytes);
                    return;
                }
                Position::Body(remaining) => {
                    let length = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    self.ready.extend_from_slice(&bytes[..length]);
                    bytes = &bytes[length..];
                    let left = remaining - length as u64;
                    self.position = if left == 0 {
                        Position::Head
                    } else {
                        Position::Body(left)
                    };
                }
                Position::Head => {
                    // The blank line may straddle what was buffered and what came now.
                    let searched_from = self.head.len().saturating_sub(3);
                    self.head.extend_from_slice(bytes);
                    bytes = &[];
                    match find(&self.head[searched_from..], b"\r\n\r\n") {
                        Some(at) => {
                            let end = searched_from + at + 4;
                            let rest = self.head.split_off(end);
                            let head = std::mem::take(&mut self.head);
                            self.position = self.pass_head(&head);
                            // `rest` is pushed through the loop again.
                            self.take_in(&rest);
                        }
                        None if self.head.len() > MAX_HEAD => {
                            let head = std::mem::take(&mut self.head);
                            self.ready.extend_from_slice(&head);
                            self.position = Position::Untouched;
                        }
                        None => {}
                    }
                }
            }
        }
    }

    /// Passes one complete head on (rewritten when its target is not ASCII) and says what
    /// follows it.
    fn pass_head(&mut self, head: &[u8]) -> Position {
        let next = framing(head);
        let line_end = find(head, b"\r\n").unwrap_or(head.len());
        let (line, headers) = head.split_at(line_end);
        if line.is_ascii() {
            self.ready.extend_from_slice(head);
            return next;
        }
        for &byte in line {
            if byte.is_ascii() {
                self.ready.push(byte);
            } else {
                self.ready
                    .extend_from_slice(format!("%{byte:02X}").as_bytes());
            }
        }
        self.ready.extend_from_slice(b"\r\n");
        self.ready
            .extend_from_slice(RAW_TARGET_HEADER.as_str().as_bytes());
        self.ready.extend_from_slice(b": 1");
        self.ready.extend_from_slice(headers);
        next
    }
}

/// What follows a head: nothing, a body of `Content-Length` bytes, or something this
/// module does not follow.
fn framing(head: &[u8]) -> Position {
    let mut length = None;
    for line in head.split(|&byte| byte == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&byte| byte == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = value[1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"transfer-encoding") || name.trim_ascii() != name {
            return Position::Untouched;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let parsed = std::str::from_utf8(value)
                .ok()
                .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|text| text.parse::<u64>().ok());
            match (length, parsed) {
                (None, Some(parsed)) => length = Some(parsed),
                _ => return Position::Untouched,
            }
        }
    }
    match length {
        None | Some(0) => Position::Head,
        Some(bytes) => Position::Body(bytes),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl<IO: AsyncRead + Unpin> AsyncRead for AsciiTargets<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.taken < this.ready.len() {
                let available = &this.ready[this.taken..];
                let length = available.len().min(buffer.remaining());
                buffer.put_slice(&available[..length]);
                this.taken += length;
                if this.taken == this.ready.len() {
                    this.ready.clear();
                    this.taken = 0;
                }
                return Poll::Ready(Ok(()));
            }
            // Nothing buffered: a body (or an untouched connection) is read straight into the
            // parser's buffer, with no copy. Only request heads pass through `take_in`.
            match this.position {
                Position::Untouched => return Pin::new(&mut this.inner).poll_read(context, buffer),
                Position::Body(remaining) if buffer.remaining() > 0 => {
                    let limit = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(buffer.remaining());
                    let mut direct = ReadBuf::new(buffer.initialize_unfilled_to(limit));
                    let read = Pin::new(&mut this.inner).poll_read(context, &mut direct);
                    let length = direct.filled().len();
                    if let Poll::Ready(Ok(())) = read {
                        buffer.advance(length);
                        let left = remaining - length as u64;
                        if length > 0 {
                            this.position = if left == 0 {
                                Position::Head
                            } else {
                                Position::Body(left)
                            };
                        }
                    }
                    return read;
                }
                Position::Body(_) | Position::Head => {}
            }
            let mut incoming = [0_u8; 8192];
            let mut incoming = ReadBuf::new(&mut incoming);
            match Pin::new(&mut this.inner).poll_read(context, &mut incoming) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) if incoming.filled().is_empty() => {
                    // The client is done: an unfinished head goes on as it is.
                    let head = std::mem::take(&mut this.head);
                    if head.is_empty() {
                        return Poll::Ready(Ok(()));
                    }
                    this.ready.extend_from_slice(&head);
                }
                Poll::Ready(Ok(())) => {
                    let filled = incoming.filled().to_vec();
                    this.take_in(&filled);
                }
            }
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for AsciiTargets<IO> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> Vec<u8> {
        let mut targets = AsciiTargets::new(());
        for chunk in chunks {
            targets.take_in(chunk);
        }
        targets.ready
    }

    #[test]
    fn an_ascii_request_passes_untouched() {
        let request = b"GET /customers?country=Spain HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(through(&[request]), request);
    }

    #[test]
    fn a_raw_target_is_percent_encoded_and_marked() {
        let request = "GET /customers?country=España HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(
            String::from_utf8(through(&[request.as_bytes()])).ok(),
            Some(
                "GET /customers?country=Espa%C3%B1a HTTP/1.1\r\nx-clientela-raw-target: 1\r\n\
                 Host: x\r\n\r\n"
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_body_is_never_rewritten_even_when_it_looks_like_a_request_line() {
        let body = "GET /España HTTP/1.1\r\n\r\n";
        let request = format!(
            "POST /customers HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let next = "GET /Müller HTTP/1.1\r\n\r\n";
        let sent = format!("{request}{next}");
        let (first, second) = sent.as_bytes().split_at(40);
        let passed = String::from_utf8(through(&[first, second])).unwrap_or_default();
        assert_eq!(
            passed,
            format!("{request}GET /M%C3%BCller HTTP/1.1\r\nx-clientela-raw-target: 1\r\n\r\n")
        );
    }

    /// A client sending `chunks` one read at a time.
    struct Chunks(std::collections::VecDeque<Vec<u8>>);

    impl AsyncRead for Chunks {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buffer: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if let Some(mut chunk) = this.0.pop_front() {
                let length = chunk.len().min(buffer.remaining());
                buffer.put_slice(&chunk[..length]);
                if length < chunk.len() {
                    this.0.push_front(chunk.split_off(length));
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    /// Everything the HTTP parser reads from `chunks`, `capacity` bytes a read at most.
    fn read_through(chunks: &[&[u8]], capacity: usize) -> Vec<u8> {
        let mut targets =
            AsciiTargets::new(Chunks(chunks.iter().map(|chunk| chunk.to_vec()).collect()));
        let mut context = Context::from_waker(std::task::Waker::noop());
        let mut passed = Vec::new();
        loop {
            let mut space = vec![0_u8; capacity];
            let mut buffer = ReadBuf::new(&mut space);
            match Pin::new(&mut targets).poll_read(&mut context, &mut buffer) {
                Poll::Ready(Ok(())) if buffer.filled().is_empty() => return passed,
                Poll::Ready(Ok(())) => passed.extend_from_slice(buffer.filled()),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn bodies_read_straight_through_are_passed_exactly_and_the_next_head_still_rewritten() {
        let body = "[{\"code\":\"GET /España HTTP/1.1\r\n\r\n\"}]".repeat(300);
        let first = format!(
            "POST /customers HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let sent = format!("{first}GET /Müller HTTP/1.1\r\n\r\n");
        let expected =
            format!("{first}GET /M%C3%BCller HTTP/1.1\r\nx-clientela-raw-target: 1\r\n\r\n");
        let bytes = sent.as_bytes();
        // Cut anywhere: inside the head, inside the body, across the body's end.
        for cut in [10, 40, 200, bytes.len() - 30] {
            let (one, two) = bytes.split_at(cut);
            for capacity in [7, 1000, 65536] {
                assert_eq!(
                    String::from_utf8(read_through(&[one, two], capacity)).ok(),
                    Some(expected.clone()),
                    "cut at {cut}, reads of {capacity}"
                );
            }
        }
    }

    #[test]
    fn a_chunked_body_turns_the_rewriting_off() {
        let sent = "POST /customers HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
                    3\r\nabc\r\n0\r\n\r\nGET /España HTTP/1.1\r\n\r\n";
        assert_eq!(through(&[sent.as_bytes()]), sent.as_bytes());
    }
}
