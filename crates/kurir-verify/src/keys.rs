//! Keys for Standard Webhooks' asymmetric signatures (`v1a`, ed25519): the sender's `whsk_` signing key and the
//! `whpk_` public key a receiver verifies with, written as Svix writes them (base64 of the 64-byte key pair, and
//! of the 32-byte public key). Beside them, [`SignKey`] and [`VerifyKey`] take either kind of key, HMAC or
//! ed25519, by its prefix.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _};

use crate::{VerifyError, WebhookSecret};

pub const SIGNING_PREFIX: &str = "whsk_";
pub const PUBLIC_PREFIX: &str = "whpk_";

/// An ed25519 signing key. `Debug` shows only its public half.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.public_key().expose())
    }
}

impl SigningKey {
    /// Parses `whsk_<base64>`: the 64-byte key pair (whose public half must match), or a 32-byte seed.
    pub fn parse(text: &str) -> Result<Self, VerifyError> {
        let encoded = text.strip_prefix(SIGNING_PREFIX).ok_or(VerifyError::InvalidSecret("must start with whsk_"))?;
        let bytes = STANDARD.decode(encoded).map_err(|_| VerifyError::InvalidSecret("is not valid base64"))?;
        if let Ok(pair) = <[u8; 64]>::try_from(bytes.as_slice()) {
            return ed25519_dalek::SigningKey::from_keypair_bytes(&pair)
                .map(SigningKey)
                .map_err(|_| VerifyError::InvalidSecret("its public half does not belong to its secret half"));
        }
        let seed = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| VerifyError::InvalidSecret("must hold a 64-byte key pair or a 32-byte seed"))?;
        Ok(Self::from_seed(seed))
    }

    /// The key of a 32-byte seed (random bytes supplied by the caller: this crate draws no randomness).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The `whsk_…` text, kept by the sender (stored encrypted by kurir).
    pub fn expose(&self) -> String {
        format!("{SIGNING_PREFIX}{}", STANDARD.encode(self.0.to_keypair_bytes()))
    }

    /// The public key receivers verify with.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// An ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// Parses `whpk_<base64 of 32 bytes>`.
    pub fn parse(text: &str) -> Result<Self, VerifyError> {
        let encoded = text.strip_prefix(PUBLIC_PREFIX).ok_or(VerifyError::InvalidSecret("must start with whpk_"))?;
        let bytes = STANDARD.decode(encoded).map_err(|_| VerifyError::InvalidSecret("is not valid base64"))?;
        let bytes = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| VerifyError::InvalidSecret("must hold a 32-byte public key"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| VerifyError::InvalidSecret("is not an ed25519 public key"))
    }

    /// The `whpk_…` text, given to receivers.
    pub fn expose(&self) -> String {
        format!("{PUBLIC_PREFIX}{}", STANDARD.encode(self.0.as_bytes()))
    }

    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        Signature::from_slice(signature).is_ok_and(|signature| self.0.verify_strict(message, &signature).is_ok())
    }
}

/// What signs a delivery: an HMAC secret (`whsec_`, signatures `v1`) or an ed25519 key (`whsk_`, `v1a`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignKey {
    Secret(WebhookSecret),
    Ed25519(SigningKey),
}

impl SignKey {
    /// Parses `whsec_…` or `whsk_…`.
    pub fn parse(text: &str) -> Result<Self, VerifyError> {
        if text.starts_with(SIGNING_PREFIX) {
            SigningKey::parse(text).map(SignKey::Ed25519)
        } else {
            WebhookSecret::parse(text).map(SignKey::Secret)
        }
    }

    /// The text the sender keeps.
    pub fn expose(&self) -> String {
        match self {
            SignKey::Secret(secret) => secret.expose(),
            SignKey::Ed25519(key) => key.expose(),
        }
    }

    /// What a receiver verifies with: the secret itself, or the public key.
    pub fn receiver_key(&self) -> VerifyKey {
        match self {
            SignKey::Secret(secret) => VerifyKey::Secret(secret.clone()),
            SignKey::Ed25519(key) => VerifyKey::Public(key.public_key()),
        }
    }
}

/// What verifies a delivery: an HMAC secret (`whsec_`) or an ed25519 public key (`whpk_`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyKey {
    Secret(WebhookSecret),
    Public(PublicKey),
}

impl VerifyKey {
    /// Parses `whsec_…` or `whpk_…`.
    pub fn parse(text: &str) -> Result<Self, VerifyError> {
        if text.starts_with(PUBLIC_PREFIX) {
            PublicKey::parse(text).map(VerifyKey::Public)
        } else {
            WebhookSecret::parse(text).map(VerifyKey::Secret)
        }
    }

    /// The text given to the receiver.
    pub fn expose(&self) -> String {
        match self {
            VerifyKey::Secret(secret) => secret.expose(),
            VerifyKey::Public(key) => key.expose(),
        }
    }
}

impl From<WebhookSecret> for VerifyKey {
    fn from(secret: WebhookSecret) -> Self {
        VerifyKey::Secret(secret)
    }
}

impl From<PublicKey> for VerifyKey {
    fn from(key: PublicKey) -> Self {
        VerifyKey::Public(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Svix's own test key pair (svix-server, `test_custom_endpoint_secret`): the same text must give the same
    /// public key here, so keys move between the two.
    const SVIX_KEY: &str =
        "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
    const SVIX_PUBLIC: &str = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
    }

    #[test]
    fn rfc_8032_test_vectors_1_and_2() {
        // RFC 8032, section 7.1: secret key, public key, message, signature.
        let vectors = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
        ];
        for (secret, public, message, signature) in vectors {
            let seed: [u8; 32] = hex(secret).try_into().unwrap_or_else(|_| panic!("32 bytes"));
            let key = SigningKey::from_seed(seed);
            assert_eq!(key.public_key().0.as_bytes().to_vec(), hex(public));
            assert_eq!(key.sign(&hex(message)).to_vec(), hex(signature));
            assert!(key.public_key().verifies(&hex(message), &hex(signature)));
            assert!(!key.public_key().verifies(b"another message", &hex(signature)));
        }
    }

    #[test]
    fn svix_keys_read_the_same_and_keys_round_trip() {
        let key = SigningKey::parse(SVIX_KEY).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(key.public_key().expose(), SVIX_PUBLIC);
        assert_eq!(key.expose(), SVIX_KEY);
        assert_eq!(PublicKey::parse(SVIX_PUBLIC).map(|k| k.expose()).ok().as_deref(), Some(SVIX_PUBLIC));
        let seed_only = format!("whsk_{}", STANDARD.encode([7u8; 32]));
        assert_eq!(SigningKey::parse(&seed_only), Ok(SigningKey::from_seed([7; 32])));
        assert!(!format!("{key:?}").contains(&SVIX_KEY[5..20]), "Debug shows only the public key");
        assert!(matches!(SignKey::parse(SVIX_KEY), Ok(SignKey::Ed25519(_))));
        assert!(matches!(VerifyKey::parse(SVIX_PUBLIC), Ok(VerifyKey::Public(_))));
    }

    #[test]
    fn bad_keys_are_named() {
        let mut pair = STANDARD.decode(&SVIX_KEY[5..]).unwrap_or_default();
        pair[40] ^= 1;
        let mismatched = format!("whsk_{}", STANDARD.encode(&pair));
        assert_eq!(
            SigningKey::parse(&mismatched),
            Err(VerifyError::InvalidSecret("its public half does not belong to its secret half"))
        );
        assert_eq!(
            SigningKey::parse("whsk_AAAA"),
            Err(VerifyError::InvalidSecret("must hold a 64-byte key pair or a 32-byte seed"))
        );
        assert_eq!(PublicKey::parse("whsk_AAAA"), Err(VerifyError::InvalidSecret("must start with whpk_")));
    }
}
