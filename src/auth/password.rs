//! argon2id hashing, off the async runtime (it is CPU-bound by design).

use crate::domain::NewPassword;
use crate::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::Argon2;

pub async fn hash(password: &NewPassword) -> Result<String> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
}

/// Verifies `candidate` against a stored hash. With no stored hash (unknown email, or an invited
/// person who has not set a password yet) it still spends the same work, so timing does not tell
/// which emails have accounts.
pub async fn verify(candidate: &str, stored: Option<String>) -> Result<bool> {
    let candidate = candidate.to_owned();
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match stored {
            Some(phc) => (phc, true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        let parsed = PasswordHash::new(&phc).map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
        let ok = Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| Error::Internal(format!("verify task: {e}")))?
}

/// argon2id (default parameters) of a random password nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Dq8fZ8yA7oWJm1QeB3y6cL9s6Xn2u1bK0eK0o0y3lQ8";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let stored = hash(&password).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(stored.clone())).await.unwrap());
        assert!(!verify("wrong horse battery", Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        assert!(!verify("anything at all", None).await.unwrap());
    }
}
