//! `clientela-api healthcheck`: exits 0 when the local server answers `GET /healthz` with 200.
//!
//! The container image has no curl, so its HEALTHCHECK runs the binary itself. A plain
//! HTTP/1.0 request over a socket is all it takes; no HTTP client crate is linked for it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::Settings;

/// How long the check waits for the server before calling it unhealthy.
const TIMEOUT: Duration = Duration::from_secs(3);

pub fn run(settings: &Settings, url: Option<&str>) -> anyhow::Result<()> {
    let address = match url {
        Some(url) => parse_http_address(url)?,
        None => local_address(&settings.server.bind)?,
    };
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .with_context(|| format!("nothing answers on {address}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET /healthz HTTP/1.0\r\nHost: {address}\r\nUser-Agent: clientela-healthcheck\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.take(4096).read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        bail!("GET /healthz on {address} answered `{status_line}`");
    }
    println!("healthy: {address}");
    Ok(())
}

/// The address to reach a server bound to `bind`: a wildcard bind (0.0.0.0, [::]) is reached
/// through loopback.
fn local_address(bind: &str) -> anyhow::Result<SocketAddr> {
    let mut address = bind
        .to_socket_addrs()
        .with_context(|| format!("server.bind `{bind}` is not an address"))?
        .next()
        .with_context(|| format!("server.bind `{bind}` names no address"))?;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    Ok(address)
}

/// `http://host:port[/…]` to a socket address.
fn parse_http_address(url: &str) -> anyhow::Result<SocketAddr> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--url must start with http:// (the check speaks plain HTTP), not `{url}`");
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    local_address(&authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_checked_through_loopback() {
        let address = local_address("0.0.0.0:8080").ok();
        assert_eq!(address, "127.0.0.1:8080".parse().ok());
    }

    #[test]
    fn urls_without_a_port_use_80() {
        assert_eq!(
            parse_http_address("http://127.0.0.1/x").ok(),
            "127.0.0.1:80".parse().ok()
        );
        assert!(parse_http_address("https://127.0.0.1").is_err());
    }
}
