//! The PostgreSQL connection string: a URL or a libpq keyword/value string, read by libpq's
//! own parser (`PQconninfoParse`), never by ours: the keywords it finds are what
//! [`ConnectionDefaults`] completes and what is printed with the password hidden. Written
//! back as a keyword/value string, it is exactly what libpq read.

use std::ffi::{CStr, CString, c_char};
use std::time::Duration;

/// What libpq reads in `conninfo` (a URL or a keyword/value string): every keyword it sets,
/// in libpq's order, with its value (percent-decoding and quoting undone by libpq). `Err`
/// with libpq's message when libpq refuses the string.
pub(crate) fn read(conninfo: &str) -> Result<Vec<(String, String)>, String> {
    let text = CString::new(conninfo)
        .map_err(|_| "a connection string must not hold a NUL character".to_owned())?;
    let mut message: *mut c_char = std::ptr::null_mut();
    // SAFETY: `text` is a NUL-terminated string that outlives the call; libpq answers either
    // an array it allocated, ended by an entry whose keyword is NULL, or NULL and (unless out
    // of memory) a message it allocated. Each is read before it is freed, once, with the
    // function libpq documents for it.
    #[expect(
        unsafe_code,
        reason = "libpq's own connection-string parser is a C function"
    )]
    unsafe {
        let options = pq_sys::PQconninfoParse(text.as_ptr(), &raw mut message);
        if options.is_null() {
            if message.is_null() {
                return Err("libpq could not read the connection string".to_owned());
            }
            let reason = CStr::from_ptr(message).to_string_lossy().trim().to_owned();
            pq_sys::PQfreemem(message.cast());
            return Err(reason);
        }
        let mut pairs = Vec::new();
        let mut option = options;
        while !(*option).keyword.is_null() {
            if !(*option).val.is_null() {
                pairs.push((
                    CStr::from_ptr((*option).keyword)
                        .to_string_lossy()
                        .into_owned(),
                    CStr::from_ptr((*option).val).to_string_lossy().into_owned(),
                ));
            }
            option = option.add(1);
        }
        pq_sys::PQconninfoFree(options);
        Ok(pairs)
    }
}

/// `pairs` as a keyword/value string libpq reads back to the same pairs: a value that is
/// empty or holds a space, a quote or a backslash is quoted, with `\` and `\'` escaped.
fn keyword_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let quoted = |value: &str| {
        let plain = !value.is_empty()
            && !value
                .chars()
                .any(|character| character.is_whitespace() || matches!(character, '\'' | '\\'));
        if plain {
            value.to_owned()
        } else {
            format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
        }
    };
    pairs
        .into_iter()
        .map(|(keyword, value)| format!("{keyword}={}", quoted(value)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A database URL for printing (settings, options, errors): a PostgreSQL string as libpq
/// reads it, in keyword/value form, with the password replaced by `…`; a SQLite URL as it
/// is. A string libpq cannot read is shown by its scheme only, since where its password
/// would be is unknown.
pub fn redact_password(url: &str) -> String {
    if url.starts_with("sqlite:") {
        return url.to_owned();
    }
    match read(url) {
        Ok(pairs) => keyword_string(pairs.iter().map(|(keyword, value)| {
            let shown = if keyword == "password" { "…" } else { value };
            (keyword.as_str(), shown)
        })),
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "…".to_owned(),
        },
    }
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

    /// `conninfo` as libpq reads it, completed with these defaults for every keyword it does
    /// not set itself, as one keyword/value string; `Err` with libpq's message when libpq
    /// cannot read it.
    pub fn apply(&self, conninfo: &str) -> Result<String, String> {
        let given = read(conninfo)?;
        let defaults = self.pairs();
        let missing = defaults
            .iter()
            .filter(|(keyword, _)| !given.iter().any(|(set, _)| set == keyword))
            .map(|(keyword, value)| (*keyword, value.as_str()));
        Ok(keyword_string(missing.chain(given.iter().map(
            |(keyword, value)| (keyword.as_str(), value.as_str()),
        ))))
    }
}
