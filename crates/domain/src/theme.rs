//! The tenant's theme: CSS custom properties the front ends read.
//!
//! Defaults are the foundation spec's `common.css`. A tenant may override any
//! of these variables and nothing else; values are restricted to characters
//! that cannot close the declaration or load anything.

use std::collections::BTreeMap;

use crate::error::DomainError;

/// Every themeable variable with its default value.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("--color-primary", "#1a73e8"),
    ("--color-secondary", "#5f6368"),
    ("--color-accent", "#ff6b35"),
    ("--color-bg", "#ffffff"),
    ("--color-surface", "#f8f9fa"),
    ("--color-text", "#202124"),
    ("--color-text-secondary", "#5f6368"),
    ("--color-border", "#dadce0"),
    ("--color-success", "#34a853"),
    ("--color-warning", "#f9ab00"),
    ("--color-error", "#ea4335"),
    ("--font-display", "'Sora', sans-serif"),
    ("--font-body", "'Plus Jakarta Sans', sans-serif"),
    ("--font-mono", "'JetBrains Mono', monospace"),
    ("--radius", "8px"),
    ("--shadow", "0 1px 3px rgba(0,0,0,0.12)"),
];

pub const MAX_VALUE_LEN: usize = 120;

/// The defaults with `overrides` applied on top.
pub fn resolve(overrides: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    DEFAULTS
        .iter()
        .map(|(k, v)| {
            let value = overrides.get(*k).cloned().unwrap_or_else(|| (*v).to_owned());
            ((*k).to_owned(), value)
        })
        .collect()
}

/// Checks overrides a tenant wants to store.
pub fn validate(overrides: &BTreeMap<String, String>) -> Result<(), DomainError> {
    for (key, value) in overrides {
        if !DEFAULTS.iter().any(|(k, _)| k == key) {
            return Err(DomainError::InvalidTheme(format!("variable desconocida {key}")));
        }
        let value = value.trim();
        let safe = |c: char| c.is_ascii_alphanumeric() || " #(),.%'\"-_/".contains(c);
        if value.is_empty() || value.len() > MAX_VALUE_LEN || !value.chars().all(safe) {
            return Err(DomainError::InvalidTheme(format!("valor no permitido para {key}")));
        }
        if value.to_ascii_lowercase().contains("url(") || value.to_ascii_lowercase().contains("expression(") {
            return Err(DomainError::InvalidTheme(format!("valor no permitido para {key}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn overrides_replace_only_their_variable() {
        let theme = resolve(&map(&[("--color-primary", "#c00")]));
        assert_eq!(theme["--color-primary"], "#c00");
        assert_eq!(theme["--radius"], "8px");
        assert_eq!(theme.len(), DEFAULTS.len());
    }

    #[test]
    fn unknown_variables_and_unsafe_values_are_refused() {
        assert!(validate(&map(&[("--color-primary", "rgb(10, 20, 30)")])).is_ok());
        assert!(validate(&map(&[("--evil", "red")])).is_err());
        assert!(validate(&map(&[("--color-bg", "red; background: url(x)")])).is_err());
        assert!(validate(&map(&[("--color-bg", "url(http://x)")])).is_err());
        assert!(validate(&map(&[("--color-bg", "}</style>")])).is_err());
        assert!(validate(&map(&[("--color-bg", "")])).is_err());
    }
}
