//! A software WebAuthn authenticator for tests: one ES256 credential, `none` attestation, user present and
//! verified, a signature counter that counts up. It speaks what a browser hands a relying party — base64url
//! `attestationObject`, `clientDataJSON`, `authenticatorData` and `signature` — for a given RP id and origin, so a
//! test can act as a browser on the right (or a wrong) origin.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What `navigator.credentials.get` returns, base64url.
#[derive(Debug, Clone)]
pub struct SignedAssertion {
    pub client_data: String,
    pub authenticator_data: String,
    pub signature: String,
}

pub struct SoftAuthenticator {
    rp_id: String,
    origin: String,
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    counter: u32,
}

impl SoftAuthenticator {
    /// A fresh credential for `rp_id`, used from `origin` (e.g. `http://localhost:8080`).
    pub fn new(rp_id: &str, origin: &str) -> Self {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("P-256 key");
        let mut credential_id = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut credential_id).expect("random");
        SoftAuthenticator {
            rp_id: rp_id.to_owned(),
            origin: origin.to_owned(),
            key,
            credential_id,
            counter: 0,
        }
    }

    /// The credential id, base64url (as Okta's `profile.credentialId`).
    pub fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.credential_id)
    }

    pub fn credential_id_bytes(&self) -> Vec<u8> {
        self.credential_id.clone()
    }

    /// Answers creation options whose `challenge` (base64url) is given: `(attestationObject, clientDataJSON)`.
    pub fn register(&mut self, challenge: &str) -> (String, String) {
        let client_data = self.client_data("webauthn.create", challenge);
        let public = self.key.public_key().as_ref(); // 0x04 | x | y
        let mut cose = Vec::new();
        cbor_head(&mut cose, 5, 5);
        cbor_int(&mut cose, 1);
        cbor_int(&mut cose, 2); // kty: EC2
        cbor_int(&mut cose, 3);
        cbor_int(&mut cose, -7); // alg: ES256
        cbor_int(&mut cose, -1);
        cbor_int(&mut cose, 1); // crv: P-256
        cbor_int(&mut cose, -2);
        cbor_bytes(&mut cose, &public[1..33]);
        cbor_int(&mut cose, -3);
        cbor_bytes(&mut cose, &public[33..65]);

        let mut auth_data = self.auth_data_head(0x45); // UP, UV, AT
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cose);

        let mut att = Vec::new();
        cbor_head(&mut att, 5, 3);
        cbor_text(&mut att, "fmt");
        cbor_text(&mut att, "none");
        cbor_text(&mut att, "attStmt");
        cbor_head(&mut att, 5, 0);
        cbor_text(&mut att, "authData");
        cbor_bytes(&mut att, &auth_data);
        (
            URL_SAFE_NO_PAD.encode(att),
            URL_SAFE_NO_PAD.encode(client_data),
        )
    }

    /// Answers request options whose `challenge` (base64url) is given; the counter moves on by one.
    pub fn sign(&mut self, challenge: &str) -> SignedAssertion {
        self.counter += 1;
        let client_data = self.client_data("webauthn.get", challenge);
        let auth_data = self.auth_data_head(0x05); // UP, UV
        let mut message = auth_data.clone();
        message.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let signature = self
            .key
            .sign(&SystemRandom::new(), &message)
            .expect("signature");
        SignedAssertion {
            client_data: URL_SAFE_NO_PAD.encode(client_data),
            authenticator_data: URL_SAFE_NO_PAD.encode(auth_data),
            signature: URL_SAFE_NO_PAD.encode(signature.as_ref()),
        }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .expect("json")
    }

    fn auth_data_head(&self, flags: u8) -> Vec<u8> {
        let mut out = digest(&SHA256, self.rp_id.as_bytes()).as_ref().to_vec();
        out.push(flags);
        out.extend_from_slice(&self.counter.to_be_bytes());
        out
    }
}

fn cbor_head(out: &mut Vec<u8>, major: u8, len: u64) {
    let m = major << 5;
    if len < 24 {
        out.push(m | len as u8);
    } else if len < 256 {
        out.extend_from_slice(&[m | 24, len as u8]);
    } else if len < 65536 {
        out.push(m | 25);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 26);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn cbor_int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        cbor_head(out, 0, v as u64);
    } else {
        cbor_head(out, 1, (-1 - v) as u64);
    }
}

fn cbor_bytes(out: &mut Vec<u8>, b: &[u8]) {
    cbor_head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    cbor_head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}
