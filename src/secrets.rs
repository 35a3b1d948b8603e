//! The instance's secret key (`PARLEY_SECRET_KEY`): encrypts secrets at rest (channel access
//! tokens, app secrets) with an AEAD, so a database dump alone does not reveal them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

#[derive(Clone)]
pub struct SecretKey(Key);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretKeyError {
    #[error("PARLEY_SECRET_KEY must be 64 hexadecimal characters (32 bytes)")]
    BadKey,
    #[error("a stored secret could not be decrypted (wrong PARLEY_SECRET_KEY, or corrupted data)")]
    Undecryptable,
}

const NONCE_LEN: usize = 12;

impl SecretKey {
    pub fn parse_hex(raw: &str) -> Result<Self, SecretKeyError> {
        let bytes = hex::decode(raw.trim()).map_err(|_| SecretKeyError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SecretKeyError::BadKey);
        }
        Ok(Self(*Key::from_slice(&bytes)))
    }

    /// A fresh random key, as 64 hex characters (written to the data directory on first run).
    pub fn generate_hex() -> String {
        hex::encode(ChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// base64(nonce ‖ ciphertext ‖ tag), with a fresh random nonce per secret.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let cipher = ChaCha20Poly1305::new(&self.0);
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .expect("ChaCha20Poly1305 encryption of an in-memory buffer does not fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        STANDARD.encode(out)
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, SecretKeyError> {
        let bytes = STANDARD.decode(stored).map_err(|_| SecretKeyError::Undecryptable)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretKeyError::Undecryptable);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = ChaCha20Poly1305::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| SecretKeyError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretKeyError::Undecryptable)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypts_and_decrypts_with_the_same_key_only() {
        let key = SecretKey::parse_hex(&SecretKey::generate_hex()).unwrap();
        let other = SecretKey::parse_hex(&SecretKey::generate_hex()).unwrap();
        let sealed = key.encrypt("EAAG-access-token");
        assert!(!sealed.contains("EAAG"));
        assert_eq!(key.decrypt(&sealed).unwrap(), "EAAG-access-token");
        assert_eq!(other.decrypt(&sealed), Err(SecretKeyError::Undecryptable));
        assert_ne!(key.encrypt("same"), key.encrypt("same"), "nonces must differ");
    }

    #[test]
    fn rejects_malformed_keys() {
        assert_eq!(SecretKey::parse_hex("abc").unwrap_err(), SecretKeyError::BadKey);
        assert_eq!(SecretKey::parse_hex(&"zz".repeat(32)).unwrap_err(), SecretKeyError::BadKey);
    }
}
