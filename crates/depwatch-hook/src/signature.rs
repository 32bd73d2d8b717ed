//! `X-Hub-Signature: sha256=<hex>` verification (HMAC-SHA256 over the exact body bytes) and
//! constant-time token comparison.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Why a signature header was refused. Safe to log: it never holds the secret or the MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureProblem {
    /// No `X-Hub-Signature` while a secret is configured.
    Missing,
    /// A prefix other than `sha256=` (depwatch rejects sha1/sha384/sha512).
    UnsupportedAlgorithm,
    /// The hex part does not decode to 32 bytes.
    Malformed,
    /// Well-formed but computed with another secret or over other bytes.
    Mismatch,
}

impl SignatureProblem {
    /// Short words for logs and the 401 body.
    pub fn describe(self) -> &'static str {
        match self {
            SignatureProblem::Missing => "missing X-Hub-Signature header",
            SignatureProblem::UnsupportedAlgorithm => {
                "unsupported X-Hub-Signature algorithm (only sha256= is accepted)"
            }
            SignatureProblem::Malformed => "malformed X-Hub-Signature value",
            SignatureProblem::Mismatch => "X-Hub-Signature does not match the body",
        }
    }
}

/// A parsed `X-Hub-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    mac: Vec<u8>,
}

impl SignatureHeader {
    /// Parses `sha256=<64 hex>`; only the algorithm prefix may appear in logs on failure.
    ///
    /// # Errors
    /// [`SignatureProblem::UnsupportedAlgorithm`] or [`SignatureProblem::Malformed`].
    pub fn parse(header: &str) -> Result<SignatureHeader, SignatureProblem> {
        let header = header.trim();
        let Some((algorithm, hex_mac)) = header.split_once('=') else {
            return Err(SignatureProblem::Malformed);
        };
        if !algorithm.eq_ignore_ascii_case("sha256") {
            return Err(SignatureProblem::UnsupportedAlgorithm);
        }
        let mac = hex::decode(hex_mac).map_err(|_| SignatureProblem::Malformed)?;
        if mac.len() != 32 {
            return Err(SignatureProblem::Malformed);
        }
        Ok(SignatureHeader { mac })
    }

    /// Whether the MAC was computed with `secret` over `body`, compared in constant time.
    pub fn verifies(&self, secret: &[u8], body: &[u8]) -> bool {
        // HMAC takes keys of any length, so this never fails; the fallback keeps it panic-free.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
        mac.update(body);
        mac.verify_slice(&self.mac).is_ok()
    }
}

/// The algorithm prefix of a signature header (`sha1`, `sha256`, …), for logs only: at most 16
/// characters, and never the MAC.
pub fn algorithm_prefix(header: &str) -> &str {
    let prefix = header.split_once('=').map_or("", |(a, _)| a.trim());
    if prefix.len() <= 16 && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        prefix
    } else {
        "?"
    }
}

/// `sha256=<hex>` for `body` under `secret`, as Bitbucket sends it (for tests, the bench and
/// the fake server).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    format!("sha256={}", hex::encode(mac))
}

/// Compares a presented token with the expected one in time independent of where they differ
/// (both are hashed first, so lengths leak nothing either).
pub fn token_matches(presented: &[u8], expected: &[u8]) -> bool {
    let a = Sha256::digest(presented);
    let b = Sha256::digest(expected);
    // Fold every byte so the loop never exits early.
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `sha256:<hex>` of a body: the delivery id for senders without `X-Request-Id`.
pub fn body_digest(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let parsed = SignatureHeader::parse(&sig).unwrap();
        assert!(parsed.verifies(b"Jefe", b"what do ya want for nothing?"));
        assert!(!parsed.verifies(b"Jefe", b"what do ya want for nothing?\n"), "exact bytes");
        assert!(!parsed.verifies(b"jefe", b"what do ya want for nothing?"));
    }

    #[test]
    fn only_sha256_is_accepted() {
        assert_eq!(
            SignatureHeader::parse("sha1=0123456789abcdef0123456789abcdef01234567"),
            Err(SignatureProblem::UnsupportedAlgorithm)
        );
        assert_eq!(SignatureHeader::parse("sha256=zz"), Err(SignatureProblem::Malformed));
        assert_eq!(SignatureHeader::parse("sha256=abcd"), Err(SignatureProblem::Malformed));
        assert_eq!(SignatureHeader::parse("garbage"), Err(SignatureProblem::Malformed));
        assert!(SignatureHeader::parse(&format!("SHA256={}", "ab".repeat(32))).is_ok());
    }

    #[test]
    fn prefix_for_logs_never_shows_the_mac() {
        assert_eq!(algorithm_prefix("sha1=deadbeef"), "sha1");
        assert_eq!(algorithm_prefix("deadbeef"), "");
        assert_eq!(algorithm_prefix("<script>=x"), "?");
    }

    #[test]
    fn tokens() {
        assert!(token_matches(b"s3cret", b"s3cret"));
        assert!(!token_matches(b"s3cret", b"s3cres"));
        assert!(!token_matches(b"", b"s3cret"));
        assert_eq!(body_digest(b"").len(), "sha256:".len() + 64);
    }
}
