//! Unicode and encoding edge cases: refused or kept exactly as documented, never a 500.
//!
//! Codes and place names refuse control characters, NUL and the bidirectional controls
//! (U+202E and friends); combining characters are kept as sent, unnormalized. Metadata is
//! free JSON: any string JSON can carry is kept, NUL included.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{encode_segment, on_both_backends};

on_both_backends! {
    /// NUL, control and bidi-override characters in codes and names are 422, naming the field.
    fn control_and_bidi_characters_are_refused(app: &TestApp) {
        let sneaky = ["nul\u{0}", "bell\u{7}", "esc\u{1b}[31m", "rtl\u{202E}fdp.exe", "\u{2066}iso\u{2069}", "c1\u{85}"];
        for text in sneaky {
            for field in ["code", "country", "state", "city"] {
                let mut body = json!({"code": "U1"});
                body[field] = json!(text);
                let (status, problem) = app.post(&body);
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={text:?}: {problem}");
                assert_eq!(problem["errors"][0]["field"], field, "{problem}");
            }
        }
        assert_eq!(app.count(), 0);
    }
}

on_both_backends! {
    /// Combining characters, emoji sequences and other scripts are stored exactly as sent:
    /// NFC and NFD spellings are two different codes.
    fn combining_characters_are_kept_unnormalized(app: &TestApp) {
        let precomposed = "Jos\u{e9}";
        let decomposed = "Jose\u{301}";
        // Codes refuse invisible characters (zero-width joiners, U+FEFF); places
        // keep them, as sent.
        let others = ["👩👩👧", "مرحبا", "z\u{0336}\u{0335}\u{0334}algo", "👩🏽"];
        for code in [precomposed, decomposed].into_iter().chain(others) {
            let (status, body) = app.post(&json!({"code": code, "city": code}));
            assert_eq!(status, StatusCode::OK, "{code:?}: {body}");
            let stored = app.customer(code).expect("stored");
            assert_eq!(stored["code"], code);
            assert_eq!(stored["city"], code);
        }
        for (code, city) in [("zwj", "👩\u{200d}👩\u{200d}👧"), ("bom", "\u{FEFF}bom")] {
            let (status, body) = app.post(&json!({"code": code, "city": city}));
            assert_eq!(status, StatusCode::OK, "{city:?}: {body}");
            assert_eq!(app.customer(code).expect("stored")["city"], city);
        }
        assert_eq!(app.count(), 8, "é precomposed and decomposed are two customers");
    }
}

on_both_backends! {
    /// Metadata may carry any JSON string, NUL and lone-looking escapes included, and reads
    /// it back unchanged.
    fn metadata_keeps_any_json_string(app: &TestApp) {
        let metadata = json!({"nul": "a\u{0}b", "rtl": "\u{202E}x", "ctl": "\u{1}\u{1f}", "key\u{0}": 1, "emoji": "🙂"});
        let (status, body) = app.post(&json!({"code": "U-meta", "metadata": metadata}));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(app.customer("U-meta").expect("stored")["metadata"], metadata);
    }
}

on_both_backends! {
    /// Invalid UTF-8, overlong encodings, lone surrogates and a byte-order mark are 400.
    fn broken_encodings_are_400(app: &TestApp) {
        let bodies: [&[u8]; 5] = [
            b"{\"code\": \"\xff\"}",
            b"{\"code\": \"\xc0\xaf\"}",
            b"{\"code\": \"\xed\xa0\x80\"}",
            b"{\"code\": \"\\ud800\"}",
            b"\xef\xbb\xbf{\"code\": \"bom\"}",
        ];
        for body in bodies {
            let response = app
                .request(Method::POST, "/customers")
                .header("content-type", "application/json")
                .body(body.to_vec())
                .send()
                .expect("request");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
            assert_eq!(response.headers()["content-type"], "application/problem+json");
        }
        assert_eq!(app.count(), 0);
    }
}

on_both_backends! {
    /// Codes in the path and the query with NUL, controls or bytes that are not UTF-8 are
    /// answered as absent or as a bad request: PostgreSQL never sees a NUL.
    fn hostile_codes_in_paths_and_queries_never_fail_the_server(app: &TestApp) {
        app.post(&json!({"code": "ab"}));
        for code in ["a\u{0}b", "ab\u{0}", "\u{202E}", "\u{1}"] {
            let segment = encode_segment(code);
            assert_eq!(app.get(&format!("/customers/{segment}")).0, StatusCode::NOT_FOUND, "{code:?}");
            assert_eq!(app.delete(&format!("/customers/{segment}")), StatusCode::NOT_FOUND);
            assert_eq!(app.delete(&format!("/suppressions/{segment}")), StatusCode::NOT_FOUND);
            let (status, page) = app.get(&format!("/customers?q={segment}"));
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(page["items"], json!([]));
        }
        // A cursor holding a NUL: everything after "a\0" is after "a" (no code holds NUL).
        let cursor = base64_url("a\u{0}z");
        let (status, page) = app.get(&format!("/customers?after={cursor}"));
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["items"][0]["code"], "ab");
        for path in ["/customers/%FF", "/customers?q=%FF", "/customers?after=%FF%FE", "/geo/resolve?country=%00%FF"] {
            let (status, body) = app.get(path);
            assert!(status.is_client_error() || status == StatusCode::OK, "{path}: {status} {body}");
        }
        assert!(app.customer("ab").is_some());
    }
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text.as_bytes())
}
