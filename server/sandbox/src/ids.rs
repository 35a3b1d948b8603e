//! Identifiers in the shapes Meta hands out. Randomness comes from the standard library's randomly
//! keyed SipHash, which is plenty for a sandbox and needs no extra dependency.

use sqlx::PgExecutor;
use std::hash::{BuildHasher, Hasher};
use uuid::Uuid;

fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Uuid::now_v7().as_u128());
    hasher.finish()
}

/// A uniformly distributed number in [0, 1), for fault injection.
pub fn random_fraction() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut bits = random_u64();
        for _ in 0..10 {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[(bits % ALPHABET.len() as u64) as usize] as char);
            bits /= ALPHABET.len() as u64;
        }
    }
    out
}

pub fn wamid() -> String {
    format!("wamid.HBgL{}", Uuid::now_v7().simple().to_string().to_uppercase())
}

pub fn fbtrace_id() -> String {
    random_token(11)
}

/// Numeric ids like Graph object ids (templates, media), unique across the sandbox.
pub async fn graph_object_id(db: impl PgExecutor<'_>) -> Result<String, sqlx::Error> {
    let id: i64 = sqlx::query_scalar("SELECT nextval('graph_object_ids')").fetch_one(db).await?;
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wamids_are_unique_and_prefixed() {
        let (a, b) = (wamid(), wamid());
        assert!(a.starts_with("wamid."));
        assert_ne!(a, b);
    }

    #[test]
    fn fractions_stay_in_range() {
        assert!((0..1000).map(|_| random_fraction()).all(|f| (0.0..1.0).contains(&f)));
    }

    #[test]
    fn tokens_have_the_requested_length() {
        assert_eq!(random_token(32).len(), 32);
        assert_ne!(random_token(16), random_token(16));
    }
}
