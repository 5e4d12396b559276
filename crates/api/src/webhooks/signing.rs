//! Signing by the Standard Webhooks convention (<https://www.standardwebhooks.com>): each
//! request carries `webhook-id` (the batch's message id, the same on every attempt),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`: `v1,` and the base64 of an
//! HMAC-SHA256 of `"{id}.{timestamp}.{body}"` under the subscription's secret. The secret is
//! shown once, when the subscription is made, as `whsec_` and its base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a secret as shown to the subscriber.
pub const SECRET_PREFIX: &str = "whsec_";

/// The secret as the subscriber is given it.
pub fn show_secret(secret: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(secret))
}

/// The `webhook-signature` header of a request.
pub fn signature(secret: &[u8], message_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification, which every receiver library
    /// checks against.
    #[test]
    fn the_specifications_example_signs_as_published() {
        let secret = STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("base64");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_secret_is_shown_with_its_prefix_in_base64() {
        assert_eq!(show_secret(&[0xff; 3]), "whsec_////");
    }
}
