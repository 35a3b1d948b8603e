//! Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`,
//! checked over the exact bytes received and compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header does not match the body")]
    Invalid,
}

pub const HEADER: &str = "x-hub-signature-256";

pub fn verify(app_secret: &str, header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let hex_digest = header.strip_prefix("sha256=").ok_or(SignatureError::Invalid)?;
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Invalid)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).map_err(|_| SignatureError::Invalid)?;
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| SignatureError::Invalid)
}

/// The header value Meta would send for this body: what the sandbox and tests sign with.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "app-secret-1234";

    #[test]
    fn accepts_the_signature_of_the_exact_bytes() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        assert_eq!(verify(SECRET, Some(&sign(SECRET, body)), body), Ok(()));
    }

    #[test]
    fn refuses_missing_malformed_and_wrong_signatures() {
        let body = b"{\"a\":\"\\u00e4\"}";
        let good = sign(SECRET, body);
        assert_eq!(verify(SECRET, None, body), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some(""), body), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some(good.trim_start_matches("sha256=")), body), Err(SignatureError::Invalid));
        assert_eq!(verify(SECRET, Some("sha256=zz"), body), Err(SignatureError::Invalid));
        assert_eq!(verify("another-secret", Some(&good), body), Err(SignatureError::Invalid));
        assert_eq!(verify(SECRET, Some(&good), "{\"a\":\"ä\"}".as_bytes()), Err(SignatureError::Invalid), "re-encoded body");
        assert_eq!(verify(SECRET, Some(&good[..good.len() - 2]), body), Err(SignatureError::Invalid), "truncated digest");
    }
}
