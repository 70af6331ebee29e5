//! Secrets at rest. Endpoint signing secrets, endpoint headers, OAuth client secrets, ZORT keys, source
//! credentials and call-out headers are sealed with XChaCha20-Poly1305 before they reach the database, so a copy of
//! the database file alone gives none of them away.
//!
//! The key is `KURIR_SECRET_KEY` (base64 of 32 bytes) when set, else `secret.key` in the data directory,
//! generated on first start with owner-only permissions. A sealed value is `enc2:` + base64(nonce ‖ ciphertext),
//! bound to where it belongs (its tenant and its field, as the cipher's associated data): a sealed value copied
//! into another tenant's row, or into another field, does not open. Values sealed before binding existed
//! (`enc1:`) and values without a prefix (written before sealing existed) are still read, and [`crate::sealed`]
//! seals them again, bound, when a store is opened.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::StoreError;

/// Sealed and bound to its place.
const PREFIX: &str = "enc2:";
/// Sealed, unbound (kurir before binding).
const LEGACY_PREFIX: &str = "enc1:";
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

    /// `plain` sealed and bound to `place` (its tenant and field, `tenant/endpoints.secrets`). A secret is never
    /// written unsealed: should encryption fail, the write fails with it.
    pub fn seal(&self, plain: &str, place: &str) -> Result<String, StoreError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(nonce, Payload { msg: plain.as_bytes(), aad: place.as_bytes() })
            .map_err(|_| StoreError::Config("a secret could not be sealed; nothing was written".into()))?;
        let mut bytes = nonce_bytes.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// Opens what [`SecretBox::seal`] sealed for `place` (also unbound and unsealed values of older kurirs).
    pub fn open(&self, stored: &str, place: &str) -> Result<String, StoreError> {
        let (encoded, aad) = match (stored.strip_prefix(PREFIX), stored.strip_prefix(LEGACY_PREFIX)) {
            (Some(encoded), _) => (encoded, place.as_bytes()),
            (None, Some(encoded)) => (encoded, &b""[..]),
            (None, None) => return Ok(stored.to_owned()),
        };
        let wrong = || {
            key_error(format!(
                "a sealed secret of {place} cannot be opened: the secret key is not the one it was sealed with, or \
                 the value was sealed for another place"
            ))
        };
        let bytes = STANDARD.decode(encoded).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain =
            self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad }).map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }

    /// Whether a stored value is not sealed and bound the current way (unsealed, or sealed before binding).
    pub fn is_legacy(stored: &str) -> bool {
        !stored.starts_with(PREFIX)
    }

    /// A value sealed the old, unbound way, for tests of the reseal.
    #[doc(hidden)]
    pub fn seal_unbound(&self, plain: &str) -> Result<String, StoreError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce_bytes), plain.as_bytes())
            .map_err(|_| StoreError::Config("a secret could not be sealed".into()))?;
        let mut bytes = nonce_bytes.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{LEGACY_PREFIX}{}", STANDARD.encode(bytes)))
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
        let place = "acme/endpoints.secrets";
        let sealed = secrets.seal("whsec_abc", place).unwrap_or_default();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("whsec_abc"));
        assert_ne!(sealed, secrets.seal("whsec_abc", place).unwrap_or_default(), "a fresh nonce each time");
        assert_eq!(secrets.open(&sealed, place).ok().as_deref(), Some("whsec_abc"));
        assert!(secrets.open(&sealed, "evil/endpoints.secrets").is_err(), "another tenant's row cannot open it");
        assert!(secrets.open(&sealed, "acme/endpoints.headers").is_err(), "another field cannot open it");
        assert_eq!(secrets.open("plain", place).ok().as_deref(), Some("plain"), "unsealed values read as they are");
        assert!(SecretBox::new([8; 32]).open(&sealed, place).is_err(), "another key cannot open it");
        let legacy = secrets.seal_unbound("old").unwrap_or_default();
        assert_eq!(secrets.open(&legacy, place).ok().as_deref(), Some("old"), "values sealed before binding open");
        assert!(SecretBox::is_legacy(&legacy) && SecretBox::is_legacy("plain") && !SecretBox::is_legacy(&sealed));
        assert!(SecretBox::from_base64("short").is_err());
    }

    #[test]
    fn the_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let first = SecretBox::from_data_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let sealed = first.seal("x", "p").unwrap_or_default();
        let again = SecretBox::from_data_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.open(&sealed, "p").ok().as_deref(), Some("x"));
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
    //! Which fields of which rows are secret: one function per type maps every secret string through `f`, with
    //! the place it belongs (`<tenant>/<table>.<field>`), which sealing binds it to.

    use kurir_core::callout::CalloutProvider;
    use kurir_core::endpoint::{Endpoint, EndpointAuth, ZortKeys};
    use kurir_core::source::{Source, SourceVerify};

    use crate::StoreError;

    type Map<'a> = &'a dyn Fn(&str, &str) -> Result<String, StoreError>;

    fn keys(keys: ZortKeys, place: &str, f: Map<'_>) -> Result<ZortKeys, StoreError> {
        Ok(ZortKeys { key1: f(&keys.key1, place)?, key2: f(&keys.key2, place)?, key3: f(&keys.key3, place)? })
    }

    fn headers(
        headers: std::collections::BTreeMap<String, String>,
        place: &str,
        f: Map<'_>,
    ) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
        headers.into_iter().map(|(name, value)| Ok((name, f(&value, place)?))).collect()
    }

    pub(super) fn endpoint(mut endpoint: Endpoint, f: Map<'_>) -> Result<Endpoint, StoreError> {
        let place = |field: &str| format!("{}/endpoints.{field}", endpoint.tenant);
        let secrets_place = place("secrets");
        for secret in &mut endpoint.secrets {
            secret.secret = f(&secret.secret, &secrets_place)?;
        }
        endpoint.headers = headers(std::mem::take(&mut endpoint.headers), &place("headers"), f)?;
        endpoint.zort_keys = endpoint.zort_keys.take().map(|k| keys(k, &place("zort_keys"), f)).transpose()?;
        endpoint.auth = match endpoint.auth.take() {
            Some(EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope }) => {
                let client_secret = f(&client_secret, &place("auth"))?;
                Some(EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope })
            }
            None => None,
        };
        Ok(endpoint)
    }

    pub(super) fn source(mut source: Source, f: Map<'_>) -> Result<Source, StoreError> {
        let place = format!("{}/sources.verify", source.tenant);
        source.verify = match source.verify {
            SourceVerify::Zort(k) => SourceVerify::Zort(keys(k, &place, f)?),
            SourceVerify::Dealpos { api_key } => {
                SourceVerify::Dealpos { api_key: api_key.map(|k| f(&k, &place)).transpose()? }
            }
            SourceVerify::Standard { secrets } => {
                SourceVerify::Standard { secrets: secrets.iter().map(|s| f(s, &place)).collect::<Result<_, _>>()? }
            }
        };
        Ok(source)
    }

    pub(super) fn provider(mut provider: CalloutProvider, f: Map<'_>) -> Result<CalloutProvider, StoreError> {
        let place = format!("{}/callout_providers.headers", provider.tenant);
        provider.headers = headers(std::mem::take(&mut provider.headers), &place, f)?;
        Ok(provider)
    }
}

use kurir_core::callout::CalloutProvider;
use kurir_core::endpoint::Endpoint;
use kurir_core::source::Source;

impl SecretBox {
    fn sealer(&self) -> impl Fn(&str, &str) -> Result<String, StoreError> + '_ {
        move |plain, place| self.seal(plain, place)
    }

    fn opener(&self) -> impl Fn(&str, &str) -> Result<String, StoreError> + '_ {
        move |stored, place| self.open(stored, place)
    }

    /// Whether an endpoint read raw from a backend holds a secret not sealed and bound the current way.
    pub fn endpoint_is_legacy(endpoint: &Endpoint) -> bool {
        let found = std::cell::Cell::new(false);
        let _ = fields::endpoint(endpoint.clone(), &|stored: &str, _: &str| {
            found.set(found.get() || Self::is_legacy(stored));
            Ok(stored.to_owned())
        });
        found.get()
    }

    pub fn source_is_legacy(source: &Source) -> bool {
        let found = std::cell::Cell::new(false);
        let _ = fields::source(source.clone(), &|stored: &str, _: &str| {
            found.set(found.get() || Self::is_legacy(stored));
            Ok(stored.to_owned())
        });
        found.get()
    }

    pub fn provider_is_legacy(provider: &CalloutProvider) -> bool {
        let found = std::cell::Cell::new(false);
        let _ = fields::provider(provider.clone(), &|stored: &str, _: &str| {
            found.set(found.get() || Self::is_legacy(stored));
            Ok(stored.to_owned())
        });
        found.get()
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
