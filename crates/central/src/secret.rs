//! Secrets central hands out once: a generated PIN or password, a session
//! token, a device credential.
//!
//! They must reach the client in the answer's JSON and nowhere else: `Debug`
//! (and so every log line and panic message) prints `***`, and the value is
//! zeroed when dropped (`secrecy`).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};

/// A secret written once into an answer.
#[derive(Clone)]
pub struct ShownOnce(SecretString);

impl ShownOnce {
    pub fn new(value: impl Into<String>) -> ShownOnce {
        ShownOnce(SecretString::from(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ShownOnce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for ShownOnce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}
