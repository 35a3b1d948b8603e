//! Configuration from environment variables (documented in README.md).

use parley::media::MediaStorage;
use parley::secrets::SecretKey;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("DATABASE_URL is not set (scripts/run starts a private Postgres and sets it for you)")]
    MissingDatabaseUrl,
    #[error("DATABASE_URL is not a valid Postgres URL: {0}")]
    BadDatabaseUrl(String),
    #[error("PARLEY_ADDR must be an address like 127.0.0.1:3000, got {0:?}")]
    BadAddr(String),
    #[error("PARLEY_SANDBOX_ADDR must be an address like 127.0.0.1:3010, got {0:?}")]
    BadSandboxAddr(String),
    #[error("PARLEY_PUBLIC_URL must start with http:// or https://, got {0:?}")]
    BadPublicUrl(String),
    #[error(transparent)]
    SecretKey(#[from] parley::secrets::SecretKeyError),
    #[error(transparent)]
    MediaStorage(#[from] parley::media::MediaStorageError),
    #[error("secret key file {path}: {source}")]
    SecretKeyFile { path: PathBuf, source: std::io::Error },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub public_url: String,
    pub data_dir: PathBuf,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub site_root: String,
    pub dev_reload: bool,
    /// Where `run` starts the Cloud API sandbox (and `sandbox` listens); `None` when
    /// PARLEY_SANDBOX_ADDR is `off`, so `run` connects the demo organization to nothing.
    pub sandbox_addr: Option<SocketAddr>,
    /// Where media files go: PARLEY_MEDIA_URL, else `$PARLEY_DATA_DIR/media`.
    pub media_url: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let database_url = var("DATABASE_URL").ok_or(ConfigError::MissingDatabaseUrl)?;
        let addr_raw = var("PARLEY_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_raw.parse().map_err(|_| ConfigError::BadAddr(addr_raw.clone()))?;
        let public_url = var("PARLEY_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::BadPublicUrl(public_url));
        }
        let sandbox_raw = var("PARLEY_SANDBOX_ADDR").unwrap_or_else(|| "127.0.0.1:3010".into());
        let sandbox_addr = if sandbox_raw.eq_ignore_ascii_case("off") {
            None
        } else {
            Some(sandbox_raw.parse().map_err(|_| ConfigError::BadSandboxAddr(sandbox_raw.clone()))?)
        };
        Ok(Self {
            media_url: var("PARLEY_MEDIA_URL"),
            sandbox_addr,
            database_url,
            addr,
            public_url: public_url.trim_end_matches('/').to_owned(),
            data_dir: PathBuf::from(var("PARLEY_DATA_DIR").unwrap_or_else(|| ".data".into())),
            smtp_url: var("PARLEY_SMTP_URL"),
            mail_from: var("PARLEY_MAIL_FROM").unwrap_or_else(|| "Parley <no-reply@parley.invalid>".into()),
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            dev_reload: var("LEPTOS_ENV").is_some_and(|e| e.eq_ignore_ascii_case("dev")),
        })
    }

    pub fn connect_options(&self) -> Result<sqlx::postgres::PgConnectOptions, ConfigError> {
        self.database_url.parse().map_err(|e: sqlx::Error| ConfigError::BadDatabaseUrl(e.to_string()))
    }

    /// Origins whose pages may send state-changing requests: the public URL's.
    pub fn public_origin(&self) -> String {
        let after_scheme = self.public_url.find("://").map_or(0, |i| i + 3);
        let end = self.public_url[after_scheme..].find('/').map_or(self.public_url.len(), |i| i + after_scheme);
        self.public_url[..end].to_owned()
    }

    /// The media storage: the configured URL, or a directory in the data directory.
    pub fn media_storage(&self) -> Result<MediaStorage, ConfigError> {
        Ok(match &self.media_url {
            Some(url) => MediaStorage::from_url(url)?,
            None => MediaStorage::directory(&self.data_dir.join("media"))?,
        })
    }

    /// `PARLEY_SECRET_KEY`, or the key kept in the data directory (generated on first run).
    pub fn secret_key(&self) -> Result<SecretKey, ConfigError> {
        if let Some(raw) = var("PARLEY_SECRET_KEY") {
            return Ok(SecretKey::parse_hex(&raw)?);
        }
        let path = self.data_dir.join("secret.key");
        let io = |source| ConfigError::SecretKeyFile { path: path.clone(), source };
        match std::fs::read_to_string(&path) {
            Ok(raw) => Ok(SecretKey::parse_hex(&raw)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.data_dir).map_err(io)?;
                let raw = SecretKey::generate_hex();
                write_private(&path, &raw).map_err(io)?;
                tracing::info!(path = %path.display(), "generated a new secret key");
                Ok(SecretKey::parse_hex(&raw)?)
            }
            Err(e) => Err(io(e)),
        }
    }
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: &str) -> Config {
        Config {
            database_url: String::new(),
            addr: "127.0.0.1:3000".parse().unwrap(),
            public_url: public_url.into(),
            data_dir: PathBuf::from(".data"),
            smtp_url: None,
            mail_from: String::new(),
            site_root: String::new(),
            dev_reload: false,
            sandbox_addr: None,
            media_url: None,
        }
    }

    #[test]
    fn public_origin_drops_the_path() {
        assert_eq!(config("https://chat.example.com/parley").public_origin(), "https://chat.example.com");
        assert_eq!(config("http://127.0.0.1:3000").public_origin(), "http://127.0.0.1:3000");
    }
}
