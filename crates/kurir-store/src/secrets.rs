//! Secrets at rest. Endpoint signing secrets, endpoint headers, OAuth client secrets, ZORT keys, source
//! credentials and call-out headers are sealed with XChaCha20-Poly1305 before they reach the database, so a copy of
//! the database file alone gives none of them away.
//!
//! The key is `KURIR_SECRET_KEY` (base64 of 32 bytes) when set, else `secret.key` in the data directory,
//! generated on first start with owner-only permissions. A sealed value is `enc1:` + base64(nonce ‖ ciphertext);
//! values without the prefix are read as they are, so rows written before sealing existed stay readable and are
//! sealed on their next write.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::StoreError;

const PREFIX: &str = "enc1:";
const NONCE_LEN: usize = 24;
pub const KEY_FILE: &str = "secret.key";

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key redacted>)")
    }
}

fn key_error(message: impl Into<String>) -> StoreError {
    StoreError::Config(message.into())
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        SecretBox { cipher: XChaCha20Poly1305::new(&key.into()) }
    }

    /// Reads a base64 key (`KURIR_SECRET_KEY`).
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| key_error("the secret key is not base64"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| key_error("the secret key must be 32 bytes"))?;
        Ok(Self::new(key))
    }

    /// The key in `data_dir/secret.key`, made on first use.
    pub fn from_data_dir(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64(&text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_private(&path, &STANDARD.encode(key))?;
                Ok(Self::new(key))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// `plain` sealed. A secret is never written unsealed: should encryption fail, the write fails with it.
    pub fn seal(&self, plain: &str) -> Result<String, StoreError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(nonce, plain.as_bytes())
            .map_err(|_| StoreError::Config("a secret could not be sealed; nothing was written".into()))?;
        let mut bytes = nonce_bytes.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    pub fn open(&self, stored: &str) -> Result<String, StoreError> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_owned()) };
        let wrong = || key_error("a sealed secret cannot be opened: the secret key is not the one it was sealed with");
        let bytes = STANDARD.decode(encoded).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), sealed).map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<(), StoreError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<(), StoreError> {
    std::fs::write(path, text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let secrets = SecretBox::new([7; 32]);
        let sealed = secrets.seal("whsec_abc").unwrap_or_default();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("whsec_abc"));
        assert_ne!(sealed, secrets.seal("whsec_abc").unwrap_or_default(), "a fresh nonce each time");
        assert_eq!(secrets.open(&sealed).ok().as_deref(), Some("whsec_abc"));
        assert_eq!(secrets.open("plain").ok().as_deref(), Some("plain"), "unsealed values read as they are");
        assert!(SecretBox::new([8; 32]).open(&sealed).is_err(), "another key cannot open it");
        assert!(SecretBox::from_base64("short").is_err());
    }

    #[test]
    fn the_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let first = SecretBox::from_data_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let sealed = first.seal("x").unwrap_or_default();
        let again = SecretBox::from_data_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.open(&sealed).ok().as_deref(), Some("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode =
                std::fs::metadata(dir.path().join(KEY_FILE)).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
    }
}

mod fields {
    //! Which fields of which rows are secret: one function per type maps every secret string through `f`.

    use kurir_core::callout::CalloutProvider;
    use kurir_core::endpoint::{Endpoint, EndpointAuth, ZortKeys};
    use kurir_core::source::{Source, SourceVerify};

    use crate::StoreError;

    type Map<'a> = &'a dyn Fn(&str) -> Result<String, StoreError>;

    fn keys(keys: ZortKeys, f: Map<'_>) -> Result<ZortKeys, StoreError> {
        Ok(ZortKeys { key1: f(&keys.key1)?, key2: f(&keys.key2)?, key3: f(&keys.key3)? })
    }

    fn headers(
        headers: std::collections::BTreeMap<String, String>,
        f: Map<'_>,
    ) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
        headers.into_iter().map(|(name, value)| Ok((name, f(&value)?))).collect()
    }

    pub(super) fn endpoint(mut endpoint: Endpoint, f: Map<'_>) -> Result<Endpoint, StoreError> {
        for secret in &mut endpoint.secrets {
            secret.secret = f(&secret.secret)?;
        }
        endpoint.headers = headers(endpoint.headers, f)?;
        endpoint.zort_keys = endpoint.zort_keys.map(|k| keys(k, f)).transpose()?;
        endpoint.auth = match endpoint.auth {
            Some(EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope }) => {
                Some(EndpointAuth::OAuth2 { token_url, client_id, client_secret: f(&client_secret)?, scope })
            }
            None => None,
        };
        Ok(endpoint)
    }

    pub(super) fn source(mut source: Source, f: Map<'_>) -> Result<Source, StoreError> {
        source.verify = match source.verify {
            SourceVerify::Zort(k) => SourceVerify::Zort(keys(k, f)?),
            SourceVerify::Dealpos { api_key } => SourceVerify::Dealpos { api_key: api_key.map(|k| f(&k)).transpose()? },
            SourceVerify::Standard { secrets } => {
                SourceVerify::Standard { secrets: secrets.iter().map(|s| f(s)).collect::<Result<_, _>>()? }
            }
        };
        Ok(source)
    }

    pub(super) fn provider(mut provider: CalloutProvider, f: Map<'_>) -> Result<CalloutProvider, StoreError> {
        provider.headers = headers(provider.headers, f)?;
        Ok(provider)
    }
}

use kurir_core::callout::CalloutProvider;
use kurir_core::endpoint::Endpoint;
use kurir_core::source::Source;

impl SecretBox {
    fn sealer(&self) -> impl Fn(&str) -> Result<String, StoreError> + '_ {
        move |plain| self.seal(plain)
    }

    fn opener(&self) -> impl Fn(&str) -> Result<String, StoreError> + '_ {
        move |stored| self.open(stored)
    }

    pub fn seal_endpoint(&self, endpoint: Endpoint) -> Result<Endpoint, StoreError> {
        fields::endpoint(endpoint, &self.sealer())
    }

    pub fn open_endpoint(&self, endpoint: Endpoint) -> Result<Endpoint, StoreError> {
        fields::endpoint(endpoint, &self.opener())
    }

    pub fn seal_source(&self, source: Source) -> Result<Source, StoreError> {
        fields::source(source, &self.sealer())
    }

    pub fn open_source(&self, source: Source) -> Result<Source, StoreError> {
        fields::source(source, &self.opener())
    }

    pub fn seal_provider(&self, provider: CalloutProvider) -> Result<CalloutProvider, StoreError> {
        fields::provider(provider, &self.sealer())
    }

    pub fn open_provider(&self, provider: CalloutProvider) -> Result<CalloutProvider, StoreError> {
        fields::provider(provider, &self.opener())
    }
}
