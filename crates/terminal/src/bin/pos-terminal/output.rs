//! How results reach the person at the shell: pretty JSON with `--json`,
//! Spanish text otherwise.

use nexus_domain::money::Money;
use nexus_terminal::Error;
use serde::Serialize;

pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn show<T: Serialize>(&self, value: &T, text: impl FnOnce(&T) -> String) -> Result<(), Error> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            println!("{}", text(value));
        }
        Ok(())
    }
}

pub fn money(cents: i64) -> String {
    Money::from_cents(cents).to_mxn_string()
}

/// A percentage typed at the shell (`12.5`) in hundredths of a percent.
pub fn percent_bp(text: &str) -> Result<u16, Error> {
    Ok(nexus_domain::Percent::parse(text).map_err(nexus_domain::DomainError::from)?.hundredths())
}
