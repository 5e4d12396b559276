//! Requests written as raw bytes, several on one connection, and the answers read back with
//! `httparse` (the parser actix itself uses): what an attacker, or a proxy that reuses its
//! connections, sends. Used by the framing tests and by the `http_pipeline` fuzz target, so
//! it depends on nothing but std and httparse.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One request as the test writes it: its framing is always exact, whatever its body holds.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body in chunked transfer encoding instead of with a `Content-Length`.
    pub chunked: bool,
    /// End the head's lines with a bare `\n` (which actix accepts) instead of `\r\n`.
    pub bare_lf: bool,
}

impl RawRequest {
    pub fn new(method: &'static str, path: impl Into<String>) -> RawRequest {
        RawRequest {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            chunked: false,
            bare_lf: false,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> RawRequest {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> RawRequest {
        self.body = body.into();
        self
    }

    pub fn bare_lf(mut self) -> RawRequest {
        self.bare_lf = true;
        self
    }

    /// The request's bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let end = if self.bare_lf { "\n" } else { "\r\n" };
        let mut head = format!("{} {} HTTP/1.1{end}Host: test{end}", self.method, self.path);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}{end}"));
        }
        let mut bytes = Vec::new();
        if self.chunked {
            head.push_str(&format!("Transfer-Encoding: chunked{end}{end}"));
            bytes.extend_from_slice(head.as_bytes());
            if !self.body.is_empty() {
                bytes.extend_from_slice(format!("{:x}\r\n", self.body.len()).as_bytes());
                bytes.extend_from_slice(&self.body);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
        } else {
            if !self.body.is_empty() || self.method == "POST" {
                head.push_str(&format!("Content-Length: {}{end}", self.body.len()));
            }
            head.push_str(end);
            bytes.extend_from_slice(head.as_bytes());
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

/// One answer read off the connection.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the server said it closes the connection after this answer.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"))
    }
}

/// What came back on a connection: the answers, in order, and how the reading ended.
#[derive(Debug)]
pub struct Exchange {
    pub answers: Vec<Answer>,
    /// The server closed the connection (or reset it).
    pub closed: bool,
    /// Bytes after the last whole answer (an answer cut off, or garbage).
    pub left_over: Vec<u8>,
}

/// Splits `bytes` into whole answers; the rest is returned as left over.
pub fn parse_answers(mut bytes: &[u8]) -> (Vec<Answer>, Vec<u8>) {
    let mut answers = Vec::new();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let Ok(httparse::Status::Complete(head_length)) = response.parse(bytes) else {
            return (answers, bytes.to_vec());
        };
        let status = response.code.unwrap_or(0);
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|header| {
                (
                    header.name.to_owned(),
                    String::from_utf8_lossy(header.value).into_owned(),
                )
            })
            .collect();
        let length = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if bytes.len() < head_length + length {
            return (answers, bytes.to_vec());
        }
        answers.push(Answer {
            status,
            headers,
            body: bytes[head_length..head_length + length].to_vec(),
        });
        bytes = &bytes[head_length + length..];
    }
}

/// A connection to the server under test.
pub struct Connection {
    pub stream: TcpStream,
    received: Vec<u8>,
}

impl Connection {
    /// `address` is `host:port`.
    pub fn open(address: &str) -> Connection {
        let stream = TcpStream::connect(address).unwrap_or_else(|error| panic!("connect: {error}"));
        let _ = stream.set_nodelay(true);
        Connection {
            stream,
            received: Vec::new(),
        }
    }

    /// Writes `bytes`; false when the server has closed the connection already.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// Reads until `wanted` whole answers have come, the server closes, or `patience` passes.
    pub fn read(&mut self, wanted: usize, patience: Duration) -> Exchange {
        let deadline = Instant::now() + patience;
        let mut closed = false;
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let (answers, _) = parse_answers(&self.received);
            if answers.len() >= wanted {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let _ = self
                .stream
                .set_read_timeout(Some(left.min(Duration::from_millis(200))));
            match self.stream.read(&mut buffer) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(read) => self.received.extend_from_slice(&buffer[..read]),
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        let (answers, left_over) = parse_answers(&self.received);
        Exchange {
            answers,
            closed,
            left_over,
        }
    }

    /// Waits up to `patience` for the server to close the connection, reading (and keeping)
    /// whatever it sends meanwhile; returns how long that took, or `None` if it stayed open.
    pub fn wait_closed(&mut self, patience: Duration) -> Option<Duration> {
        let started = Instant::now();
        let mut buffer = [0_u8; 4096];
        while started.elapsed() < patience {
            let _ = self
                .stream
                .set_read_timeout(Some(Duration::from_millis(50)));
            match self.stream.read(&mut buffer) {
                Ok(0) => return Some(started.elapsed()),
                Ok(read) => self.received.extend_from_slice(&buffer[..read]),
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return Some(started.elapsed()),
            }
        }
        None
    }
}

/// Checks that `requests`, sent pipelined, were answered once each and in order (each
/// request carries `X-Request-Id: pipelined-<index>`, which its answer echoes). Fewer answers
/// than requests are right only when the server said it would close the connection (actix
/// says so when it answers before a body has arrived whole) or closed it. Returns what is
/// wrong, if anything.
pub fn check_one_answer_each(requests: &[RawRequest], exchange: &Exchange) -> Result<(), String> {
    for (index, answer) in exchange.answers.iter().enumerate() {
        let expected = format!("pipelined-{index}");
        if answer.header("x-request-id") != Some(expected.as_str()) {
            return Err(format!(
                "answer {index} belongs to {:?}, not to request {index}",
                answer.header("x-request-id")
            ));
        }
    }
    if exchange.answers.len() > requests.len() {
        return Err(format!(
            "{} answers to {} requests",
            exchange.answers.len(),
            requests.len()
        ));
    }
    let said_close = exchange.answers.iter().any(Answer::closes);
    if exchange.answers.len() < requests.len() && !said_close && !exchange.closed {
        return Err(format!(
            "{} answers to {} requests, and the connection was neither closed nor said to be",
            exchange.answers.len(),
            requests.len()
        ));
    }
    if !exchange.left_over.is_empty() {
        return Err(format!(
            "{} bytes after the last whole answer",
            exchange.left_over.len()
        ));
    }
    Ok(())
}
