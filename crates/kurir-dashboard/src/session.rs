//! The sign-in session: what the dashboard's cookie says, signed, and the form token derived from it.
//!
//! The cookie carries who signed in, until when, and a random nonce, signed with HMAC-SHA256 under a key kept in
//! the store (so every node of a cluster accepts every node's cookies). Nothing secret is in it: the credential
//! itself is checked again on every request (see `web_auth`), so a revoked API key or a changed admin token ends
//! its sessions at once. The form token (against cross-site requests) is an HMAC of the nonce: forms carry it,
//! and a request without the cookie's own token is refused.
//!
//! Pure: the clock and the nonce are arguments.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie's name.
pub const COOKIE: &str = "kurir_session";
/// How long a sign-in lasts.
pub const LIFETIME_MS: i64 = 12 * 60 * 60 * 1000;

/// The key that signs sessions; 32 random bytes.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        SessionKey(bytes)
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC takes a key of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for part in parts {
            mac.update(part);
            mac.update(b"\n");
        }
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The admin, with a fingerprint of the admin token's hash: a new admin token ends old sessions.
    Admin { fingerprint: String },
    /// A tenant's API key, by id.
    Key(String),
}

impl Principal {
    /// The admin fingerprint for an admin token hash.
    pub fn admin(admin_token_hash: &[u8; 32]) -> Self {
        let digest = Sha256::digest(admin_token_hash);
        Principal::Admin { fingerprint: digest[..8].iter().map(|b| format!("{b:02x}")).collect() }
    }

    fn encode(&self) -> String {
        match self {
            Principal::Admin { fingerprint } => format!("admin-{fingerprint}"),
            Principal::Key(id) => id.clone(),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        if let Some(fingerprint) = text.strip_prefix("admin-") {
            let hex = fingerprint.len() == 16 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit());
            return hex.then(|| Principal::Admin { fingerprint: fingerprint.to_owned() });
        }
        let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        plain.then(|| Principal::Key(text.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub principal: Principal,
    pub expires_ms: i64,
    /// Random, per sign-in; the form token is derived from it.
    pub nonce: String,
}

impl Session {
    /// A new session for `principal`, signed in at `now_ms`.
    pub fn start(principal: Principal, now_ms: i64, nonce: [u8; 16]) -> Self {
        Session { principal, expires_ms: now_ms + LIFETIME_MS, nonce: URL_SAFE_NO_PAD.encode(nonce) }
    }

    /// The cookie's value: `v1.<principal>.<expires>.<nonce>.<mac>`.
    pub fn seal(&self, key: &SessionKey) -> String {
        let body = format!("v1.{}.{}.{}", self.principal.encode(), self.expires_ms, self.nonce);
        let mac = key.mac(&[b"session", body.as_bytes()]);
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    /// The session a cookie value holds, when its signature is good and it has not expired.
    pub fn open(value: &str, key: &SessionKey, now_ms: i64) -> Option<Self> {
        let (body, mac) = value.rsplit_once('.')?;
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let expected = key.mac(&[b"session", body.as_bytes()]);
        if !bool::from(given.as_slice().ct_eq(&expected)) {
            return None;
        }
        let mut parts = body.split('.');
        let (Some("v1"), Some(principal), Some(expires), Some(nonce), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let expires_ms: i64 = expires.parse().ok()?;
        if expires_ms <= now_ms {
            return None;
        }
        Some(Session { principal: Principal::decode(principal)?, expires_ms, nonce: nonce.to_owned() })
    }

    /// The token every form of this session carries.
    pub fn form_token(&self, key: &SessionKey) -> String {
        URL_SAFE_NO_PAD.encode(key.mac(&[b"form", self.nonce.as_bytes()]))
    }

    /// Whether `token` is this session's form token (compared in constant time).
    pub fn accepts_form_token(&self, key: &SessionKey, token: &str) -> bool {
        token.as_bytes().ct_eq(self.form_token(key).as_bytes()).into()
    }
}

/// The `Set-Cookie` value that stores `sealed` (or, with `None`, clears the cookie).
pub fn set_cookie(sealed: Option<&str>, secure: bool) -> String {
    let (value, max_age) = match sealed {
        Some(value) => (value, LIFETIME_MS / 1000),
        None => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The value of the session cookie in a `Cookie` request header.
pub fn cookie_value(header: &str) -> Option<&str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(name, _)| *name == COOKIE).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000;

    fn key(byte: u8) -> SessionKey {
        SessionKey::new([byte; 32])
    }

    fn session() -> Session {
        Session::start(Principal::Key("key_01abc".into()), NOW, [7; 16])
    }

    #[test]
    fn a_sealed_session_opens_with_its_key_until_it_expires() {
        let sealed = session().seal(&key(1));
        assert_eq!(Session::open(&sealed, &key(1), NOW + 1), Some(session()));
        assert_eq!(Session::open(&sealed, &key(2), NOW + 1), None, "another key");
        assert_eq!(Session::open(&sealed, &key(1), NOW + LIFETIME_MS), None, "expired");
    }

    #[test]
    fn a_changed_cookie_does_not_open() {
        let sealed = session().seal(&key(1));
        let forged = sealed.replacen("key_01abc", "key_01abd", 1);
        assert_eq!(Session::open(&forged, &key(1), NOW), None);
        let later = sealed.replacen(&(NOW + LIFETIME_MS).to_string(), &(NOW + 10 * LIFETIME_MS).to_string(), 1);
        assert_eq!(Session::open(&later, &key(1), NOW), None);
        assert_eq!(Session::open("v1.admin.1.x", &key(1), NOW), None);
        assert_eq!(Session::open("", &key(1), NOW), None);
    }

    #[test]
    fn admin_sessions_name_the_admin_token_they_were_made_with() {
        let admin = Principal::admin(&[9; 32]);
        let sealed = Session::start(admin.clone(), NOW, [1; 16]).seal(&key(1));
        let opened = Session::open(&sealed, &key(1), NOW).map(|s| s.principal);
        assert_eq!(opened, Some(admin.clone()));
        assert_ne!(Principal::admin(&[8; 32]), admin, "another admin token, another fingerprint");
    }

    #[test]
    fn the_form_token_belongs_to_one_session() {
        let one = session();
        let other = Session::start(Principal::Key("key_01abc".into()), NOW, [8; 16]);
        assert!(one.accepts_form_token(&key(1), &one.form_token(&key(1))));
        assert!(!one.accepts_form_token(&key(1), &other.form_token(&key(1))));
        assert!(!one.accepts_form_token(&key(1), ""));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_on_https() {
        let set = set_cookie(Some("abc"), true);
        assert!(set.starts_with("kurir_session=abc; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=43200"));
        assert!(set.ends_with("; Secure"));
        assert!(!set_cookie(Some("abc"), false).contains("Secure"));
        assert!(set_cookie(None, false).contains("Max-Age=0"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        assert_eq!(cookie_value("a=1; kurir_session=v1.x; b=2"), Some("v1.x"));
        assert_eq!(cookie_value("a=1"), None);
    }
}
