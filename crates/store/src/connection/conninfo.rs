//! The PostgreSQL connection string: a URL or a libpq keyword/value string, handed to libpq
//! as written with [`ConnectionDefaults`] in front, and shown with its password hidden.

use std::time::Duration;

/// `url` with its password replaced by `…`: the one of a `user:password@` part, and a
/// `password=` parameter of the query (libpq takes both). For anything that prints a
/// database URL: settings, options, errors.
pub fn redact_password(url: &str) -> String {
    if is_keyword_string(url) {
        return redact_keyword_password(url);
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The user part ends at the last `@`: a password may hold `@`, `/` or `?` when it is
    // not percent-encoded, so anything before that `@` may be part of it.
    let (user, after_user) = match rest.rfind('@') {
        Some(at) => {
            let (user, after) = rest.split_at(at);
            let user = match user.split_once(':') {
                Some((name, _password)) => format!("{name}:…"),
                None => user.to_owned(),
            };
            (user, after)
        }
        None => (String::new(), rest),
    };
    let after_user = match after_user.split_once('?') {
        Some((location, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=…"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{location}?{}", query.join("&"))
        }
        None => after_user.to_owned(),
    };
    format!("{scheme}://{user}{after_user}")
}

/// Whether `text` is a libpq keyword/value connection string (`host=… dbname=…`): no
/// scheme, and a first word that is `keyword=`.
pub(crate) fn is_keyword_string(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    !text.contains("://")
        && first.split('=').next().is_some_and(|keyword| {
            !keyword.is_empty()
                && keyword
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        })
        && text.contains('=')
}

/// How libpq finds out that a PostgreSQL server is gone (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionDefaults {
    /// libpq's `tcp_user_timeout`: how long sent data may stay unacknowledged before the
    /// connection is given up (a partitioned or frozen server).
    pub tcp_user_timeout: Duration,
    /// libpq's `keepalives_idle`: how long an idle connection waits before the first
    /// keepalive probe (then one a second, three at most).
    pub keepalives_idle: Duration,
    /// libpq's `connect_timeout`: how long connecting to one host of the list may take
    /// before the next is tried.
    pub host_connect_timeout: Duration,
}

impl Default for ConnectionDefaults {
    fn default() -> Self {
        ConnectionDefaults {
            tcp_user_timeout: Duration::from_secs(3),
            keepalives_idle: Duration::from_secs(5),
            host_connect_timeout: Duration::from_secs(2),
        }
    }
}

impl ConnectionDefaults {
    /// The libpq keywords and values, whole seconds at least 1 where libpq counts seconds.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let seconds = |duration: Duration| duration.as_secs().max(1).to_string();
        let mut pairs = vec![
            ("keepalives", "1".to_owned()),
            ("keepalives_idle", seconds(self.keepalives_idle)),
            ("keepalives_interval", "1".to_owned()),
            ("keepalives_count", "3".to_owned()),
            (
                "tcp_user_timeout",
                self.tcp_user_timeout.as_millis().max(1).to_string(),
            ),
        ];
        // libpq's own environment variable for it wins over our default, as it would if we
        // set nothing.
        if std::env::var_os("PGCONNECT_TIMEOUT").is_none() {
            pairs.push(("connect_timeout", seconds(self.host_connect_timeout)));
        }
        pairs
    }

    /// `conninfo` (a URL or a keyword/value string) with these defaults in front of its own
    /// settings: libpq takes the last value given for a keyword, so whatever the string sets
    /// itself wins.
    pub fn apply(&self, conninfo: &str) -> String {
        let pairs = self.pairs();
        if is_keyword_string(conninfo) {
            let defaults: Vec<String> = pairs
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            return format!("{} {}", defaults.join(" "), conninfo.trim_start());
        }
        let defaults: Vec<String> = pairs
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let defaults = defaults.join("&");
        // The query starts at the first `?` after the user part (a password may hold `?`).
        let location_start = conninfo.rfind('@').map_or(0, |at| at + 1);
        match conninfo[location_start..].find('?') {
            Some(question) => {
                let (before, query) = conninfo.split_at(location_start + question + 1);
                if query.is_empty() {
                    format!("{before}{defaults}")
                } else {
                    format!("{before}{defaults}&{query}")
                }
            }
            None => format!("{conninfo}?{defaults}"),
        }
    }
}

/// A keyword/value string with the value of each `password` keyword (bare, or quoted with
/// `'…'` and backslash escapes, as libpq reads it) replaced by `…`.
fn redact_keyword_password(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("password") {
        let (before, after) = rest.split_at(found);
        out.push_str(before);
        out.push_str("password");
        let after = &after["password".len()..];
        let keyword_ends = before.is_empty() || before.ends_with(char::is_whitespace);
        let trimmed = after.trim_start();
        if !keyword_ends || !trimmed.starts_with('=') {
            rest = after;
            continue;
        }
        let value = trimmed[1..].trim_start();
        let value_len = if let Some(quoted) = value.strip_prefix('\'') {
            let mut escaped = false;
            let mut end = quoted.len();
            for (index, character) in quoted.char_indices() {
                match (escaped, character) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '\'') => {
                        end = index + 1;
                        break;
                    }
                    _ => {}
                }
            }
            1 + end.min(quoted.len())
        } else {
            value.find(char::is_whitespace).unwrap_or(value.len())
        };
        out.push_str("=…");
        rest = &value[value_len.min(value.len())..];
    }
    out.push_str(rest);
    out
}
